/**
 * The form fields of a data connection: what it reaches (an S3 bucket and its prefixes, or a
 * Kinesis stream) and an IAM user's access keys. The new-connection page and a connection's
 * key rotation use them.
 */
import type { CallInput } from '@ferry/api';
import { REGIONS } from './regions.ts';
import { Field, Select } from './ui.tsx';

type Target = CallInput<'connections.prepare'>['body']['target'];

/** What the user has typed about a connection's target, for either type. */
export interface TargetDraft {
  type: 's3' | 'kinesis';
  bucket: string;
  prefix: string;
  writePrefix: string;
  stream: string;
  accountId: string;
  region: string;
}

export const EMPTY_TARGET: TargetDraft = {
  type: 's3',
  bucket: '',
  prefix: '',
  writePrefix: '',
  stream: '',
  accountId: '',
  region: 'us-east-1',
};

type TextKey = 'bucket' | 'prefix' | 'writePrefix' | 'stream' | 'accountId';

interface FieldSpec {
  key: TextKey;
  label: string;
  placeholder: string;
  required?: boolean;
  hint?: string;
}

/** The fields each type asks for, in order. */
const FIELDS: Record<TargetDraft['type'], readonly FieldSpec[]> = {
  s3: [
    { key: 'bucket', label: 'Bucket', placeholder: 'sales-data-bucket', required: true },
    {
      key: 'prefix',
      label: 'Read prefix',
      placeholder: 'events/',
      hint: 'A folder ending in /; the whole bucket when empty.',
    },
    {
      key: 'writePrefix',
      label: 'Write prefix',
      placeholder: 'landed/',
      hint: 'Where queries may write results; read-only when empty.',
    },
  ],
  kinesis: [
    {
      key: 'stream',
      label: 'Stream',
      placeholder: 'clicks, or arn:aws:kinesis:us-east-1:123456789012:stream/clicks',
      required: true,
    },
    {
      key: 'accountId',
      label: "Owner's account ID",
      placeholder: '123456789012',
      hint: 'Needed when the stream is given by name.',
    },
  ],
};

/** The target the API takes, from the draft (empty optional fields left out). */
export function targetOf(d: TargetDraft): Target {
  const optional = (key: 'prefix' | 'writePrefix') =>
    d[key].trim() !== '' ? { [key]: d[key].trim() } : {};
  return d.type === 's3'
    ? {
        type: 's3',
        bucket: d.bucket.trim(),
        region: d.region,
        ...optional('prefix'),
        ...optional('writePrefix'),
      }
    : { type: 'kinesis', stream: d.stream.trim(), region: d.region };
}

/** The fields of the draft's type and its region; `locked` once prepared. */
export function TargetFields(props: {
  draft: TargetDraft;
  onChange: (patch: Partial<TargetDraft>) => void;
  locked: boolean;
}) {
  const { draft } = props;
  return (
    <>
      {FIELDS[draft.type].map((f) => (
        <Field
          key={f.key}
          label={f.label}
          name={f.key}
          value={draft[f.key]}
          onChange={(value) => props.onChange({ [f.key]: value })}
          required={f.required}
          readOnly={props.locked}
          placeholder={f.placeholder}
          hint={f.hint}
        />
      ))}
      <Select
        label="Region"
        name="region"
        value={draft.region}
        options={REGIONS}
        onChange={(region) => props.onChange({ region })}
        disabled={props.locked}
      />
    </>
  );
}

/** An IAM user's access key pair (the secret never echoed). */
export function AccessKeyFields(props: {
  accessKeyId: string;
  secretAccessKey: string;
  onChange: (patch: { accessKeyId?: string; secretAccessKey?: string }) => void;
  /** The keys replace others (labelled "New …"). */
  replacing?: boolean;
}) {
  const fresh = props.replacing === true;
  return (
    <>
      <Field
        label={fresh ? 'New access key ID' : 'Access key ID'}
        name="accessKeyId"
        value={props.accessKeyId}
        onChange={(accessKeyId) => props.onChange({ accessKeyId })}
        required
        autoComplete="off"
        placeholder="AKIA…"
      />
      <Field
        label={fresh ? 'New secret access key' : 'Secret access key'}
        name="secretAccessKey"
        type="password"
        value={props.secretAccessKey}
        onChange={(secretAccessKey) => props.onChange({ secretAccessKey })}
        required
        autoComplete="off"
      />
    </>
  );
}
