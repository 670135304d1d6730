/**
 * Writes localcloud's trimmed service models from botocore's service-2.json files: only the
 * operations listed in models/operations.json, their transitive shapes, no documentation.
 *
 * Usage: node apps/localcloud/scripts/extract-models.ts [BOTOCORE_DATA_DIR]
 * (default: the data directory of the `botocore` module of the system python3).
 *
 * SQS moved from awsQuery to awsJson; older clients (Debian's awscli v2) still speak query,
 * whose wire names (flattened lists, locationName) only the older model has. That model is
 * read from the botocore bundled with Debian's awscli and written as models/sqs-query.json.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

type Json = Record<string, unknown>;

const modelsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'models');

const dropKeys = new Set(['documentation', 'documentationUrl', 'examples', 'deprecatedMessage']);

function botocoreData(): string {
  const arg = process.argv[2];
  if (arg) return arg;
  const dir = execFileSync(
    'python3',
    ['-c', 'import botocore,os;print(os.path.dirname(botocore.__file__))'],
    { encoding: 'utf8' },
  ).trim();
  return join(dir, 'data');
}

function readServiceModel(data: string, service: string): Json {
  const versions = readdirSync(join(data, service)).sort();
  const latest = versions.at(-1);
  if (!latest) throw new Error(`no botocore model for ${service}`);
  const base = join(data, service, latest, 'service-2.json');
  const text = existsSync(base)
    ? readFileSync(base, 'utf8')
    : gunzipSync(readFileSync(`${base}.gz`)).toString('utf8');
  return JSON.parse(text) as Json;
}

function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (value && typeof value === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) {
      if (!dropKeys.has(k)) out[k] = strip(v);
    }
    return out;
  }
  return value;
}

function shapeRefs(shape: Json): string[] {
  const refs: string[] = [];
  const add = (ref: unknown) => {
    if (ref && typeof ref === 'object' && 'shape' in ref) refs.push(String(ref.shape));
  };
  add(shape.member);
  add(shape.key);
  add(shape.value);
  if (shape.members && typeof shape.members === 'object') {
    for (const m of Object.values(shape.members)) add(m);
  }
  return refs;
}

function trim(model: Json, operations: string[], service: string): Json {
  const allOps = model.operations as Record<string, Json>;
  const allShapes = model.shapes as Record<string, Json>;
  const ops: Record<string, unknown> = {};
  const wanted: string[] = [];
  for (const name of operations) {
    const op = allOps[name];
    if (!op) throw new Error(`${service}: no operation ${name} in botocore's model`);
    ops[name] = strip(op);
    for (const key of ['input', 'output']) {
      const ref = op[key] as { shape?: string } | undefined;
      if (ref?.shape) wanted.push(ref.shape);
    }
    for (const err of (op.errors as Json[] | undefined) ?? []) wanted.push(String(err.shape));
  }
  const shapes: Record<string, unknown> = {};
  while (wanted.length) {
    const name = wanted.pop() as string;
    if (name in shapes) continue;
    const shape = allShapes[name];
    if (!shape) throw new Error(`${service}: missing shape ${name}`);
    shapes[name] = strip(shape);
    wanted.push(...shapeRefs(shape));
  }
  const sortedShapes = Object.fromEntries(
    Object.entries(shapes).sort(([a], [b]) => a.localeCompare(b)),
  );
  return { metadata: strip(model.metadata), operations: ops, shapes: sortedShapes };
}

function awscliBotocoreData(): string | undefined {
  try {
    const dir = execFileSync(
      '/usr/bin/python3',
      ['-c', 'import awscli,os;print(os.path.dirname(awscli.__file__))'],
      { encoding: 'utf8' },
    ).trim();
    const data = join(dir, 'botocore', 'data');
    return existsSync(data) ? data : undefined;
  } catch {
    return undefined;
  }
}

const list = JSON.parse(readFileSync(join(modelsDir, 'operations.json'), 'utf8')) as Record<
  string,
  string[]
>;
const data = botocoreData();
for (const [service, operations] of Object.entries(list)) {
  const trimmed = trim(readServiceModel(data, service), operations, service);
  writeFileSync(join(modelsDir, `${service}.json`), `${JSON.stringify(trimmed, null, 1)}\n`);
  console.log(`${service}: ${operations.length} operations`);
}

const legacy = awscliBotocoreData();
const sqsOps = list.sqs;
if (legacy && sqsOps) {
  const model = readServiceModel(legacy, 'sqs');
  if ((model.metadata as Json).protocol === 'query') {
    writeFileSync(
      join(modelsDir, 'sqs-query.json'),
      `${JSON.stringify(trim(model, sqsOps, 'sqs'), null, 1)}\n`,
    );
    console.log('sqs-query: query-protocol variant of sqs');
  }
}
