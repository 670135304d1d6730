/**
 * Multipart uploads: s3rver stores the parts, the gateway keeps the bookkeeping S3 answers
 * from (uploads, their parts and ETags) and checks a completion against it.
 */
import type { RawRequest, RawResponse } from '../../core/contract.ts';
import type { BucketRecord } from './bucket-registry.ts';
import { S3Error } from './s3-error.ts';
import type { S3Operation } from './s3-operation.ts';
import { el, parseCompleteMultipartUpload, parseInitiateResult, xmlDocument } from './s3-xml.ts';
import { canonicalUserId, emptyResponse, xmlResponse } from './s3-responses.ts';
import type { ForwardCall, S3GatewayContext } from './s3-gateway-context.ts';

function uploadOf(request: RawRequest, bucket: BucketRecord, operation: S3Operation) {
  const uploadId = request.query.get('uploadId') ?? '';
  const upload = bucket.uploads[uploadId];
  if (!upload || upload.key !== operation.key) {
    throw new S3Error(
      'NoSuchUpload',
      'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
      404,
      { UploadId: uploadId },
    );
  }
  return { uploadId, upload };
}

export async function multipart(
  g: S3GatewayContext,
  request: RawRequest,
  call: ForwardCall,
  operation: S3Operation,
  bucket: BucketRecord,
): Promise<RawResponse> {
  switch (operation.name) {
    case 'CreateMultipartUpload': {
      const response = await g.forward(request, call, operation);
      const uploadId = response.status < 300 ? parseInitiateResult(response.body) : undefined;
      if (uploadId !== undefined) {
        bucket.uploads[uploadId] = {
          key: operation.key ?? '',
          initiated: new Date(g.cloud.now()).toISOString(),
          initiator: call.caller.arn,
          parts: {},
        };
      }
      return g.toRawResponse(response);
    }
    case 'UploadPart': {
      const { upload } = uploadOf(request, bucket, operation);
      const partNumber = Number(request.query.get('partNumber'));
      if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000) {
        throw new S3Error(
          'InvalidArgument',
          'Part number must be an integer between 1 and 10000, inclusive',
          400,
          { ArgumentName: 'partNumber' },
        );
      }
      const payload = g.payloadOf(request, call);
      const response = await g.forward(request, call, operation, payload);
      if (response.status < 300) {
        upload.parts[String(partNumber)] = {
          etag: (response.headers['etag'] ?? '').replace(/"/g, ''),
          size: payload.body.length,
          lastModified: new Date(g.cloud.now()).toISOString(),
        };
      }
      return g.toRawResponse(response);
    }
    case 'CompleteMultipartUpload': {
      const { uploadId, upload } = uploadOf(request, bucket, operation);
      const parts = parseCompleteMultipartUpload(g.payloadOf(request, call).body);
      let previous = 0;
      for (const part of parts) {
        if (part.partNumber <= previous) {
          throw new S3Error(
            'InvalidPartOrder',
            'The list of parts was not in ascending order. Parts must be ordered by part number.',
            400,
          );
        }
        previous = part.partNumber;
        const stored = upload.parts[String(part.partNumber)];
        if (!stored || stored.etag !== part.etag) {
          throw new S3Error(
            'InvalidPart',
            "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag.",
            400,
            { UploadId: uploadId, PartNumber: String(part.partNumber) },
          );
        }
      }
      const response = await g.forward(request, call, operation);
      if (response.status < 300) {
        delete bucket.uploads[uploadId];
        const body = response.body.toString('utf8').split(g.backend.origin).join(g.cloud.baseUrl);
        return { ...g.toRawResponse(response), body };
      }
      return g.toRawResponse(response);
    }
    case 'AbortMultipartUpload': {
      const { uploadId } = uploadOf(request, bucket, operation);
      await g.backend.discardUpload(bucket.name, uploadId);
      delete bucket.uploads[uploadId];
      return emptyResponse(204);
    }
    case 'ListParts': {
      const { uploadId, upload } = uploadOf(request, bucket, operation);
      const marker = Number(request.query.get('part-number-marker') ?? '0');
      const maxParts = Math.min(Number(request.query.get('max-parts') ?? '1000') || 1000, 1000);
      const all = Object.entries(upload.parts)
        .map(([number, part]) => ({ number: Number(number), ...part }))
        .filter((part) => part.number > marker)
        .sort((a, b) => a.number - b.number);
      const page = all.slice(0, maxParts);
      const truncated = all.length > page.length;
      const partsXml = page
        .map(
          (p) =>
            `<Part>${el('PartNumber', p.number)}${el('LastModified', p.lastModified)}${el('ETag', `"${p.etag}"`)}${el('Size', p.size)}</Part>`,
        )
        .join('');
      const inner =
        el('Bucket', bucket.name) +
        el('Key', upload.key) +
        el('UploadId', uploadId) +
        el('PartNumberMarker', marker) +
        (truncated ? el('NextPartNumberMarker', page[page.length - 1]?.number ?? 0) : '') +
        el('MaxParts', maxParts) +
        el('IsTruncated', truncated) +
        `<Initiator>${el('ID', upload.initiator)}${el('DisplayName', upload.initiator)}</Initiator>` +
        `<Owner>${el('ID', canonicalUserId(bucket.owner))}${el('DisplayName', bucket.owner)}</Owner>` +
        el('StorageClass', 'STANDARD') +
        partsXml;
      return xmlResponse(200, xmlDocument('ListPartsResult', inner));
    }
    default: {
      // ListMultipartUploads
      const prefix = request.query.get('prefix') ?? '';
      const uploads = Object.entries(bucket.uploads)
        .filter(([, u]) => u.key.startsWith(prefix))
        .sort(([, a], [, b]) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
        .map(
          ([id, u]) =>
            `<Upload>${el('Key', u.key)}${el('UploadId', id)}<Initiator>${el('ID', u.initiator)}${el('DisplayName', u.initiator)}</Initiator>` +
            `<Owner>${el('ID', canonicalUserId(bucket.owner))}${el('DisplayName', bucket.owner)}</Owner>${el('StorageClass', 'STANDARD')}${el('Initiated', u.initiated)}</Upload>`,
        )
        .join('');
      const inner =
        el('Bucket', bucket.name) +
        el('KeyMarker', '') +
        el('UploadIdMarker', '') +
        el('Prefix', prefix) +
        el('MaxUploads', 1000) +
        el('IsTruncated', false) +
        uploads;
      return xmlResponse(200, xmlDocument('ListMultipartUploadsResult', inner));
    }
  }
}
