/**
 * Reads a template body: JSON, or YAML with CloudFormation's short-form tags (`!Ref`,
 * `!Sub`, `!GetAtt a.b`, …) turned into their long forms.
 */
import { isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Node } from 'yaml';
import { AwsError } from '../../core/contract.ts';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface Template {
  AWSTemplateFormatVersion?: string;
  Description?: string;
  Metadata?: Record<string, Json>;
  Parameters?: Record<string, Record<string, Json>>;
  Mappings?: Record<string, Record<string, Record<string, Json>>>;
  Conditions?: Record<string, Json>;
  Resources: Record<string, ResourceDefinition>;
  Outputs?: Record<
    string,
    { Description?: string; Value: Json; Export?: { Name: Json }; Condition?: string }
  >;
  Transform?: Json;
}

export interface ResourceDefinition {
  Type: string;
  Properties?: Record<string, Json>;
  DependsOn?: string | string[];
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Metadata?: Json;
}

export function templateError(message: string): AwsError {
  return new AwsError('ValidationError', `Template format error: ${message}`);
}

function shortTag(tag: string, value: Json): Json {
  const name = tag.slice(1);
  if (name === 'Ref') return { Ref: value };
  if (name === 'Condition') return { Condition: value };
  if (name === 'GetAtt' && typeof value === 'string') {
    const dot = value.indexOf('.');
    if (dot < 1) throw templateError(`!GetAtt ${value} must be LogicalId.Attribute`);
    return { 'Fn::GetAtt': [value.slice(0, dot), value.slice(dot + 1)] };
  }
  return { [`Fn::${name}`]: value };
}

function toJson(node: unknown, seen: number): Json {
  if (seen > 200) throw templateError('the template nests too deeply');
  if (isAlias(node)) throw templateError('YAML aliases are not supported');
  let value: Json;
  if (isMap(node)) {
    const out: Record<string, Json> = {};
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      out[key] = pair.value === null ? null : toJson(pair.value, seen + 1);
    }
    value = out;
  } else if (isSeq(node)) {
    value = node.items.map((item) => (item === null ? null : toJson(item, seen + 1)));
  } else if (isScalar(node)) {
    const v = node.value;
    value = v === undefined ? null : (v as Json);
    if (typeof v === 'bigint') value = Number(v);
  } else {
    value = null;
  }
  const tag = (node as Node | null)?.tag;
  if (typeof tag === 'string' && tag.startsWith('!') && !tag.startsWith('!!'))
    return shortTag(tag, value);
  return value;
}

/** Parses a template body; `ValidationError` naming the problem otherwise. */
export function parseTemplate(body: string): Template {
  const trimmed = body.trimStart();
  let parsed: unknown;
  if (trimmed.startsWith('{')) {
    try {
      parsed = JSON.parse(body);
    } catch (error) {
      throw templateError(`JSON not well-formed. (${(error as Error).message})`);
    }
  } else {
    const doc = parseDocument(body, { uniqueKeys: true, prettyErrors: false, version: '1.1' });
    const error = doc.errors[0];
    if (error !== undefined)
      throw templateError(`YAML not well-formed. (${error.message.split('\n')[0] ?? ''})`);
    parsed = toJson(doc.contents, 0);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw templateError('the template must be a JSON or YAML object');
  }
  const template = parsed as Template;
  if (
    template.Resources === undefined ||
    template.Resources === null ||
    typeof template.Resources !== 'object'
  ) {
    throw templateError('At least one Resources member must be defined.');
  }
  if (Object.keys(template.Resources).length === 0) {
    throw templateError('At least one Resources member must be defined.');
  }
  const allowed = new Set([
    'AWSTemplateFormatVersion',
    'Description',
    'Metadata',
    'Parameters',
    'Mappings',
    'Conditions',
    'Resources',
    'Outputs',
    'Transform',
    'Rules',
  ]);
  for (const key of Object.keys(template)) {
    if (!allowed.has(key)) throw templateError(`Invalid template property or properties [${key}]`);
  }
  if (template.Transform !== undefined) throw templateError('Transforms are not supported here');
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (!/^[A-Za-z0-9]+$/.test(id)) throw templateError(`Resource name ${id} is non alphanumeric.`);
    if (resource === null || typeof resource !== 'object' || typeof resource.Type !== 'string') {
      throw templateError(`[/Resources/${id}] Every Resources object must contain a Type member.`);
    }
  }
  return template;
}

/** A template value as text: scalars as written, anything else as JSON. */
export function scalar(value: Json | undefined): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
