/**
 * Checks parameter values against the template's own constraints, so a caller (CLI, API)
 * rejects bad input before a stack ever fails on it.
 */
import { buildTemplate, PARAMETER_NAMES, type ParameterName } from './template-builder.ts';

/** A bad parameter value; `field` names the parameter. */
export class TemplateParameterError extends Error {
  readonly code = 'TEMPLATE_PARAMETER_INVALID';
  readonly field: ParameterName;
  constructor(field: ParameterName, message: string) {
    super(`${field}: ${message}`);
    this.name = 'TemplateParameterError';
    this.field = field;
  }
}

/** Each string parameter's AllowedPattern and its description of what it wants. */
export const PARAMETER_CONSTRAINTS: Partial<
  Record<ParameterName, { pattern: RegExp; expected: string }>
> = (() => {
  const params = buildTemplate({ network: 'new' }).Parameters;
  const out: Partial<Record<ParameterName, { pattern: RegExp; expected: string }>> = {};
  for (const name of PARAMETER_NAMES) {
    const p = params[name];
    if (typeof p?.AllowedPattern !== 'string') continue;
    // CloudFormation matches AllowedPattern against the whole value.
    out[name] = {
      pattern: new RegExp(`^(?:${p.AllowedPattern})$`),
      expected:
        typeof p.ConstraintDescription === 'string' ? p.ConstraintDescription : p.AllowedPattern,
    };
  }
  return out;
})();

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Throws TemplateParameterError for the first value the template would reject. */
export function checkParameterValues(values: Partial<Record<ParameterName, string>>): void {
  for (const name of PARAMETER_NAMES) {
    const value = values[name];
    if (value === undefined) continue;
    if (name === 'WorkerBuckets') {
      for (const bucket of value.split(',').filter((b) => b !== '')) {
        if (!BUCKET_NAME.test(bucket)) {
          throw new TemplateParameterError(name, `"${bucket}" is not a valid S3 bucket name`);
        }
      }
      continue;
    }
    const c = PARAMETER_CONSTRAINTS[name];
    if (c && !c.pattern.test(value)) {
      throw new TemplateParameterError(name, `"${value}" is not ${c.expected}`);
    }
  }
}
