/** Renders a template as JSON or YAML (long-form `Fn::` keys, valid for CloudFormation). */
import { stringify } from 'yaml';
import type { CfnTemplate } from './template-builder.ts';

export const TEMPLATE_FORMATS = ['json', 'yaml'] as const;
export type TemplateFormat = (typeof TEMPLATE_FORMATS)[number];

/** The template as text, ending with a newline. */
export function renderTemplate(template: CfnTemplate, format: TemplateFormat): string {
  if (format === 'json') return `${JSON.stringify(template, null, 2)}\n`;
  // No anchors/aliases (CloudFormation does not resolve them everywhere), and YAML 1.1 quoting
  // so date- and boolean-like strings ("2012-10-17", "yes") stay strings for 1.1 parsers too.
  return stringify(template, { aliasDuplicateObjects: false, lineWidth: 0, version: '1.1' });
}
