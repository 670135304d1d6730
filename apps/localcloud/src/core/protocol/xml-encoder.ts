/**
 * Encodes awsQuery and ec2Query responses and errors as XML, from the output shape.
 */
import type { ServiceModel, ShapeRef } from '../models.ts';
import { shapeOf } from '../models.ts';

/** Escapes text for an XML element or attribute. */
export function xmlEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\r/g, '&#xD;');
}

/** ISO 8601 without fractional noise, as AWS prints it. */
export function isoTimestamp(value: unknown): string {
  const d = value instanceof Date ? value : new Date(value as string | number);
  return d.toISOString();
}

function scalarText(value: unknown, type: string, format?: string): string {
  switch (type) {
    case 'timestamp': {
      if (format === 'unixTimestamp') {
        const d = value instanceof Date ? value : new Date(value as string | number);
        return String(d.getTime() / 1000);
      }
      return isoTimestamp(value);
    }
    case 'blob':
      return Buffer.isBuffer(value) ? value.toString('base64') : String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      return String(value);
  }
}

function encodeValue(
  name: string,
  value: unknown,
  ref: ShapeRef,
  model: ServiceModel,
  out: string[],
): void {
  if (value === undefined || value === null) return;
  const shape = shapeOf(model, ref.shape);
  switch (shape.type) {
    case 'structure': {
      out.push(`<${name}>`);
      encodeMembers(value as Record<string, unknown>, ref.shape, model, out);
      out.push(`</${name}>`);
      return;
    }
    case 'list': {
      const memberRef = shape.member as ShapeRef;
      const items = Array.isArray(value) ? value : [value];
      if (shape.flattened || ref.flattened) {
        const itemName = memberRef.locationName ?? name;
        for (const item of items) encodeValue(itemName, item, memberRef, model, out);
        return;
      }
      out.push(`<${name}>`);
      for (const item of items)
        encodeValue(memberRef.locationName ?? 'member', item, memberRef, model, out);
      out.push(`</${name}>`);
      return;
    }
    case 'map': {
      const keyName = shape.key?.locationName ?? 'key';
      const valueName = shape.value?.locationName ?? 'value';
      const entries = Object.entries(value as Record<string, unknown>);
      const flat = shape.flattened || ref.flattened;
      if (!flat) out.push(`<${name}>`);
      for (const [k, v] of entries) {
        out.push(flat ? `<${name}>` : '<entry>');
        out.push(`<${keyName}>${xmlEscape(k)}</${keyName}>`);
        encodeValue(valueName, v, shape.value as ShapeRef, model, out);
        out.push(flat ? `</${name}>` : '</entry>');
      }
      if (!flat) out.push(`</${name}>`);
      return;
    }
    default:
      out.push(
        `<${name}>${xmlEscape(scalarText(value, shape.type, ref.timestampFormat ?? shape.timestampFormat))}</${name}>`,
      );
  }
}

function encodeMembers(
  value: Record<string, unknown>,
  shapeName: string,
  model: ServiceModel,
  out: string[],
): void {
  const shape = shapeOf(model, shapeName);
  for (const [member, ref] of Object.entries(shape.members ?? {})) {
    encodeValue(ref.locationName ?? member, value[member], ref, model, out);
  }
}

/** The XML body of a successful awsQuery or ec2Query response. */
export function encodeXmlResponse(
  model: ServiceModel,
  operation: string,
  output: Record<string, unknown>,
  requestId: string,
): string {
  const op = model.operations[operation];
  const ns = model.metadata.xmlNamespace ?? '';
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<${operation}Response xmlns="${xmlEscape(ns)}">`);
  if (model.metadata.protocol === 'ec2') {
    out.push(`<requestId>${requestId}</requestId>`);
    if (op?.output) encodeMembers(output, op.output.shape, model, out);
  } else {
    if (op?.output) {
      const wrapper = op.output.resultWrapper ?? `${operation}Result`;
      out.push(`<${wrapper}>`);
      encodeMembers(output, op.output.shape, model, out);
      out.push(`</${wrapper}>`);
    }
    out.push(`<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>`);
  }
  out.push(`</${operation}Response>`);
  return out.join('');
}

/** The XML body of an error in awsQuery (`ErrorResponse`) or ec2Query (`Response/Errors`) form. */
export function encodeXmlError(
  protocol: 'query' | 'ec2',
  code: string,
  message: string,
  senderFault: boolean,
  requestId: string,
  xmlNamespace = '',
): string {
  if (protocol === 'ec2') {
    return (
      '<?xml version="1.0" encoding="UTF-8"?>' +
      `<Response><Errors><Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message></Error></Errors>` +
      `<RequestID>${requestId}</RequestID></Response>`
    );
  }
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<ErrorResponse xmlns="${xmlEscape(xmlNamespace)}"><Error><Type>${senderFault ? 'Sender' : 'Receiver'}</Type>` +
    `<Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}
