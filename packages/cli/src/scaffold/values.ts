// The values a template renders with: taken from a values file and `--set key=value`, completed from the
// schema's defaults (as the Backstage form does before it submits), asked for in a terminal when still
// missing, and validated against the template's own parameter pages (JSON Schema, ajv).
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ScaffoldError, ScaffoldErrorCode, type ValueIssue } from './errors.js';
import type { JsonSchema, LoadedTemplate, TemplateParameter } from './template.js';

export type Values = Record<string, unknown>;

const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true, validateFormats: false });
const compiled = new WeakMap<JsonSchema, ValidateFunction>();

function validatorOf(page: JsonSchema): ValidateFunction {
  let validate = compiled.get(page);
  if (validate === undefined) {
    validate = ajv.compile(page);
    compiled.set(page, validate);
  }
  return validate;
}

const preview = (value: unknown): string => {
  const text = (JSON.stringify(value) as string | undefined) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

/** One ajv error as a field and a sentence that says what is expected. */
function issueOf(error: ErrorObject, values: Values): ValueIssue {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required') {
    const field = `${error.instancePath}/${String(params.missingProperty)}`.replace(/^\//, '');
    return { field, message: 'is required but missing' };
  }
  if (error.keyword === 'additionalProperties') {
    return { field: String(params.additionalProperty), message: 'is not a parameter of this template' };
  }
  const field = error.instancePath.replace(/^\//, '').replaceAll('/', '.') || '(values)';
  const top = error.instancePath.split('/')[1];
  const got = top === undefined ? '' : ` (got ${preview(values[top.replaceAll('~1', '/').replaceAll('~0', '~')])})`;
  switch (error.keyword) {
    case 'type':
      return { field, message: `must be a ${String(params.type)}${got}` };
    case 'pattern':
      return { field, message: `must match ${String(params.pattern)}${got}` };
    case 'enum':
      return { field, message: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}${got}` };
    default:
      return { field, message: `${error.message ?? 'is invalid'}${got}` };
  }
}

/** Adds the schema's `default` of every missing parameter (a copy; `values` is not changed). */
export function withDefaults(template: LoadedTemplate, values: Values): Values {
  const result: Values = { ...values };
  for (const parameter of template.parameters)
    if (result[parameter.name] === undefined && parameter.schema.default !== undefined) result[parameter.name] = parameter.schema.default;
  return result;
}

/** The parameters a render still needs: required ones that have no value. */
export function missingParameters(template: LoadedTemplate, values: Values): TemplateParameter[] {
  return template.parameters.filter(
    (parameter) => parameter.required && (values[parameter.name] === undefined || values[parameter.name] === ''),
  );
}

/**
 * Checks `values` against every parameter page of the template (defaults applied first) and returns the
 * completed values; throws `SCAFFOLD_BAD_VALUES` listing every field that is missing, of the wrong type,
 * outside its enum or pattern, or unknown to the template.
 */
export function validateValues(template: LoadedTemplate, values: Values): Values {
  const completed = withDefaults(template, values);
  const issues: ValueIssue[] = [];
  const known = new Set(template.parameters.map((parameter) => parameter.name));
  for (const name of Object.keys(completed))
    if (!known.has(name)) issues.push({ field: name, message: 'is not a parameter of this template' });
  for (const page of template.pages) {
    const validate = validatorOf(page);
    if (!validate(completed)) for (const error of validate.errors ?? []) issues.push(issueOf(error, completed));
  }
  if (issues.length > 0) {
    const seen = new Set<string>();
    const unique = issues.filter((issue) => {
      const key = `${issue.field}\u0000${issue.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    throw new ScaffoldError(
      ScaffoldErrorCode.BadValues,
      `invalid values for template ${template.name}:\n${unique.map((issue) => `  ${issue.field}: ${issue.message}`).join('\n')}`,
      { issues: unique },
    );
  }
  return completed;
}

/**
 * Turns `--set key=value` text into the parameter's type: a number for `number`/`integer`, `true`/`false`
 * for `boolean`, JSON for `array`/`object`; anything else stays a string. Text that does not convert stays
 * a string, so validation names the field and the expected type.
 */
export function coerceSetValue(template: LoadedTemplate, name: string, text: string): unknown {
  const schema = template.parameters.find((parameter) => parameter.name === name)?.schema;
  const type = schema?.type;
  if ((type === 'number' || type === 'integer') && /^-?\d{1,15}(?:\.\d{1,15})?$/.test(text.trim())) return Number(text);
  if (type === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  if (type === 'array' || type === 'object') {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}
