import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { AwsError } from '../contract.ts';
import type { ServiceModel } from '../models.ts';
import { loadModel } from '../models.ts';
import { decodeJson, encodeJson, encodeJsonError } from './json-codec.ts';
import { decodeQuery } from './query-decoder.ts';
import { encodeXmlError, encodeXmlResponse } from './xml-encoder.ts';

const model = (name: string): ServiceModel => {
  const m = loadModel(name);
  if (!m) throw new Error(`no model ${name}`);
  return m;
};
const xml = new XMLParser({ ignoreAttributes: false, parseTagValue: false });
/** The value at a dotted path of parsed XML. */
const at = (doc: unknown, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>(
      (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
      doc,
    );

describe('awsQuery decoding', () => {
  it('decodes member lists, nested structures, integers and timestamps (IAM)', () => {
    const params = new URLSearchParams({
      Action: 'CreateRole',
      RoleName: 'r1',
      AssumeRolePolicyDocument: '{}',
      MaxSessionDuration: '7200',
      'Tags.member.1.Key': 'team',
      'Tags.member.1.Value': 'data',
      'Tags.member.2.Key': 'env',
      'Tags.member.2.Value': '',
    });
    expect(decodeQuery(params, model('iam'), 'CreateRole')).toEqual({
      RoleName: 'r1',
      AssumeRolePolicyDocument: '{}',
      MaxSessionDuration: 7200,
      Tags: [
        { Key: 'team', Value: 'data' },
        { Key: 'env', Value: '' },
      ],
    });
  });

  it('orders list members by index, not by arrival', () => {
    const params = new URLSearchParams();
    params.set('PolicySourceArn', 'arn:aws:iam::123456789012:user/u');
    params.set('ActionNames.member.2', 's3:PutObject');
    params.set('ActionNames.member.10', 'sqs:SendMessage');
    params.set('ActionNames.member.1', 's3:GetObject');
    const input = decodeQuery(params, model('iam'), 'SimulatePrincipalPolicy');
    expect(input.ActionNames).toEqual(['s3:GetObject', 's3:PutObject', 'sqs:SendMessage']);
  });

  it('decodes flattened lists and maps under their member names (SQS query)', () => {
    const sqs = model('sqs-query');
    expect(
      decodeQuery(
        new URLSearchParams({
          QueueUrl: 'http://q',
          'AttributeName.1': 'All',
          'AttributeName.2': 'Policy',
        }),
        sqs,
        'GetQueueAttributes',
      ),
    ).toEqual({ QueueUrl: 'http://q', AttributeNames: ['All', 'Policy'] });
    expect(
      decodeQuery(
        new URLSearchParams({
          QueueUrl: 'http://q',
          'Attribute.1.Name': 'VisibilityTimeout',
          'Attribute.1.Value': '30',
          'Attribute.2.Name': 'Policy',
          'Attribute.2.Value': '{"a":1}',
        }),
        sqs,
        'SetQueueAttributes',
      ),
    ).toEqual({ QueueUrl: 'http://q', Attributes: { VisibilityTimeout: '30', Policy: '{"a":1}' } });
  });

  it('decodes entry.N.key/value maps (SNS)', () => {
    const input = decodeQuery(
      new URLSearchParams({
        Name: 't',
        'Attributes.entry.1.key': 'Policy',
        'Attributes.entry.1.value': '{}',
      }),
      model('sns'),
      'CreateTopic',
    );
    expect(input).toEqual({ Name: 't', Attributes: { Policy: '{}' } });
  });

  it('rejects a malformed integer naming the field', () => {
    expect(() =>
      decodeQuery(
        new URLSearchParams({
          RoleName: 'r',
          AssumeRolePolicyDocument: '{}',
          MaxSessionDuration: 'x',
        }),
        model('iam'),
        'CreateRole',
      ),
    ).toThrow(/MaxSessionDuration/);
  });
});

describe('ec2Query decoding', () => {
  it('uses capitalised locationNames and flattened lists', () => {
    const input = decodeQuery(
      new URLSearchParams({
        'InstanceId.1': 'i-1',
        'InstanceId.2': 'i-2',
        'Filter.1.Name': 'tag:ferry',
        'Filter.1.Value.1': 'yes',
        'Filter.1.Value.2': 'maybe',
        DryRun: 'true',
        MaxResults: '5',
      }),
      model('ec2'),
      'DescribeInstances',
    );
    expect(input).toEqual({
      InstanceIds: ['i-1', 'i-2'],
      Filters: [{ Name: 'tag:ferry', Values: ['yes', 'maybe'] }],
      DryRun: true,
      MaxResults: 5,
    });
  });

  it('decodes nested tag specifications of RunInstances', () => {
    const input = decodeQuery(
      new URLSearchParams({
        ImageId: 'ami-1',
        MinCount: '1',
        MaxCount: '2',
        'TagSpecification.1.ResourceType': 'instance',
        'TagSpecification.1.Tag.1.Key': 'ferry:cluster',
        'TagSpecification.1.Tag.1.Value': 'c1',
      }),
      model('ec2'),
      'RunInstances',
    );
    expect(input.TagSpecifications).toEqual([
      { ResourceType: 'instance', Tags: [{ Key: 'ferry:cluster', Value: 'c1' }] },
    ]);
    expect(input.MinCount).toBe(1);
  });
});

describe('XML encoding', () => {
  it('wraps awsQuery results and request ids, with member lists and ISO timestamps', () => {
    const body = encodeXmlResponse(
      model('iam'),
      'ListRoles',
      {
        Roles: [
          {
            Path: '/',
            RoleName: 'r&1',
            RoleId: 'AROAX',
            Arn: 'arn:aws:iam::123456789012:role/r',
            CreateDate: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)),
            MaxSessionDuration: 3600,
          },
        ],
        IsTruncated: false,
      },
      'req-1',
    );
    const doc: unknown = xml.parse(body);
    const result = at(doc, 'ListRolesResponse.ListRolesResult');
    expect(at(result, 'Roles.member.RoleName')).toBe('r&1');
    expect(at(result, 'Roles.member.CreateDate')).toBe('2024-01-02T03:04:05.000Z');
    expect(at(result, 'IsTruncated')).toBe('false');
    expect(at(doc, 'ListRolesResponse.ResponseMetadata.RequestId')).toBe('req-1');
    expect(at(doc, 'ListRolesResponse.@_xmlns')).toBe('https://iam.amazonaws.com/doc/2010-05-08/');
  });

  it('encodes ec2Query responses with item lists and requestId', () => {
    const body = encodeXmlResponse(
      model('ec2'),
      'DescribeAvailabilityZones',
      {
        AvailabilityZones: [
          { ZoneName: 'us-east-1a', State: 'available' },
          { ZoneName: 'us-east-1b' },
        ],
      },
      'req-2',
    );
    const r = at(xml.parse(body), 'DescribeAvailabilityZonesResponse');
    expect(at(r, 'requestId')).toBe('req-2');
    const items = at(r, 'availabilityZoneInfo.item') as { zoneName: string; zoneState?: string }[];
    expect(items.map((i) => i.zoneName)).toEqual(['us-east-1a', 'us-east-1b']);
    expect(items[0]?.zoneState).toBe('available');
  });

  it('encodes flattened maps of the SQS query protocol', () => {
    const body = encodeXmlResponse(
      model('sqs-query'),
      'GetQueueAttributes',
      { Attributes: { VisibilityTimeout: '30' } },
      'r',
    );
    expect(body).toContain(
      '<GetQueueAttributesResult><Attribute><Name>VisibilityTimeout</Name><Value>30</Value></Attribute></GetQueueAttributesResult>',
    );
  });

  it('encodes errors in both XML forms', () => {
    const q: unknown = xml.parse(encodeXmlError('query', 'NoSuchEntity', 'gone <x>', true, 'id1'));
    expect(at(q, 'ErrorResponse.Error')).toEqual({
      Type: 'Sender',
      Code: 'NoSuchEntity',
      Message: 'gone <x>',
    });
    expect(at(q, 'ErrorResponse.RequestId')).toBe('id1');
    const e: unknown = xml.parse(
      encodeXmlError('ec2', 'InvalidInstanceID.NotFound', 'no', true, 'id2'),
    );
    expect(at(e, 'Response.Errors.Error.Code')).toBe('InvalidInstanceID.NotFound');
    expect(at(e, 'Response.RequestID')).toBe('id2');
  });
});

describe('awsJson', () => {
  it('decodes timestamps from epoch seconds and blobs from base64 (Kinesis)', () => {
    const input = decodeJson(
      Buffer.from(
        JSON.stringify({
          StreamName: 's',
          Data: Buffer.from('hi').toString('base64'),
          PartitionKey: 'k',
        }),
      ),
      model('kinesis'),
      'PutRecord',
    );
    expect(Buffer.isBuffer(input.Data) && input.Data.toString()).toBe('hi');
    const it2 = decodeJson(
      Buffer.from(
        JSON.stringify({
          StreamName: 's',
          ShardId: 'x',
          ShardIteratorType: 'AT_TIMESTAMP',
          Timestamp: 1700000000.5,
        }),
      ),
      model('kinesis'),
      'GetShardIterator',
    );
    expect((it2.Timestamp as Date).getTime()).toBe(1700000000500);
  });

  it('rejects a wrongly typed member naming it', () => {
    expect(() =>
      decodeJson(
        Buffer.from('{"StreamName": 5, "ShardCount": 1}'),
        model('kinesis'),
        'CreateStream',
      ),
    ).toThrow(AwsError);
    expect(() =>
      decodeJson(Buffer.from('{"StreamName": 5}'), model('kinesis'), 'CreateStream'),
    ).toThrow(/StreamName/);
  });

  it('encodes timestamps as epoch seconds and blobs as base64', () => {
    const out = JSON.parse(
      encodeJson(model('kinesis'), 'GetRecords', {
        Records: [
          {
            SequenceNumber: '1',
            ApproximateArrivalTimestamp: new Date(1700000000000),
            Data: Buffer.from('x'),
            PartitionKey: 'k',
          },
        ],
        MillisBehindLatest: 0,
      }),
    ) as { Records: Record<string, unknown>[] };
    expect(out.Records[0]).toMatchObject({ ApproximateArrivalTimestamp: 1700000000, Data: 'eA==' });
  });

  it('maps SQS query error codes to JSON types and x-amzn-query-error', () => {
    const { body, headers } = encodeJsonError(
      model('sqs'),
      'AWS.SimpleQueueService.NonExistentQueue',
      'no queue',
      true,
    );
    expect(JSON.parse(body)).toEqual({
      __type: 'com.amazonaws.sqs#QueueDoesNotExist',
      message: 'no queue',
    });
    expect(headers['x-amzn-query-error']).toBe('AWS.SimpleQueueService.NonExistentQueue;Sender');
    const k = encodeJsonError(model('kinesis'), 'ResourceNotFoundException', 'gone', true);
    expect(JSON.parse(k.body)).toEqual({ __type: 'ResourceNotFoundException', message: 'gone' });
  });
});
