// Reading a Backstage software template (scaffolder.backstage.io/v1beta3, kind Template): its parameter
// pages (JSON Schema) and its fetch:template steps, the part `charter new` renders locally.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { ScaffoldError, ScaffoldErrorCode } from './errors.js';

export const TEMPLATE_API_VERSION = 'scaffolder.backstage.io/v1beta3';
export const TEMPLATE_FILE = 'template.yaml';

/** A JSON Schema object as template parameters write it (with Backstage's `ui:*` keys). */
export type JsonSchema = Record<string, unknown>;

/** One parameter: its name, the page it is on, its schema and whether it is required. */
export interface TemplateParameter {
  readonly name: string;
  readonly page: string;
  readonly schema: JsonSchema;
  readonly required: boolean;
}

/** One `fetch:template` step: its raw `input` (rendered against the parameters at render time). */
export interface FetchStep {
  readonly id: string;
  readonly if: unknown;
  readonly input: Record<string, unknown>;
}

export interface LoadedTemplate {
  /** The template folder (holds template.yaml). */
  readonly dir: string;
  readonly name: string;
  readonly title: string;
  readonly description: string;
  /** Each parameter page as a JSON Schema object, in order. */
  readonly pages: readonly JsonSchema[];
  /** Every parameter of every page, in page order. */
  readonly parameters: readonly TemplateParameter[];
  readonly fetchSteps: readonly FetchStep[];
  /** The ids of the other steps' actions, in order (charter:manifest:validate, publish:github, …). */
  readonly actions: readonly string[];
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function bad(file: string, message: string): ScaffoldError {
  return new ScaffoldError(ScaffoldErrorCode.BadTemplate, `${file}: ${message}`);
}

/**
 * Loads the template in `dir` (a folder holding template.yaml). Throws `SCAFFOLD_TEMPLATE_NOT_FOUND`
 * when there is none and `SCAFFOLD_BAD_TEMPLATE` when it is not a v1beta3 Template with at least one
 * `fetch:template` step whose `url` is a folder beside it.
 */
export function loadTemplate(dir: string): LoadedTemplate {
  const file = join(dir, TEMPLATE_FILE);
  if (!existsSync(file)) throw new ScaffoldError(ScaffoldErrorCode.NotFound, `no ${TEMPLATE_FILE} in ${dir}: name a template folder`);
  let document: unknown;
  try {
    document = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ScaffoldError(ScaffoldErrorCode.BadTemplate, `${file} is not valid YAML: ${(error as Error).message}`, { cause: error });
  }
  if (!isRecord(document)) throw bad(file, 'is not a YAML mapping');
  if (document.apiVersion !== TEMPLATE_API_VERSION) throw bad(file, `apiVersion must be ${TEMPLATE_API_VERSION}`);
  if (document.kind !== 'Template') throw bad(file, 'kind must be Template');
  const metadata = isRecord(document.metadata) ? document.metadata : {};
  const spec = isRecord(document.spec) ? document.spec : undefined;
  if (spec === undefined) throw bad(file, 'has no spec');
  const rawPages = spec.parameters === undefined ? [] : Array.isArray(spec.parameters) ? spec.parameters : [spec.parameters];
  const pages: JsonSchema[] = [];
  const parameters: TemplateParameter[] = [];
  for (const [index, page] of rawPages.entries()) {
    if (!isRecord(page)) throw bad(file, `spec.parameters[${index}] is not a JSON Schema object`);
    pages.push(page);
    const required = new Set(Array.isArray(page.required) ? page.required.filter((r): r is string => typeof r === 'string') : []);
    const properties = isRecord(page.properties) ? page.properties : {};
    const title = typeof page.title === 'string' ? page.title : `page ${index + 1}`;
    for (const [name, schema] of Object.entries(properties)) {
      if (!isRecord(schema)) throw bad(file, `spec.parameters[${index}].properties.${name} is not a JSON Schema object`);
      parameters.push({ name, page: title, schema, required: required.has(name) });
    }
  }
  const steps = Array.isArray(spec.steps) ? spec.steps : [];
  const fetchSteps: FetchStep[] = [];
  const actions: string[] = [];
  for (const [index, step] of steps.entries()) {
    if (!isRecord(step) || typeof step.action !== 'string') throw bad(file, `spec.steps[${index}] has no action`);
    actions.push(step.action);
    if (step.action !== 'fetch:template') continue;
    const input = isRecord(step.input) ? step.input : {};
    const url = input.url;
    if (typeof url !== 'string' || url.includes('://') || isAbsolute(url))
      throw bad(file, `spec.steps[${index}] (fetch:template): input.url must be a folder beside template.yaml (e.g. ./skeleton)`);
    const skeleton = resolve(dirname(file), url);
    if (!existsSync(skeleton) || !statSync(skeleton).isDirectory())
      throw bad(file, `spec.steps[${index}] (fetch:template): ${url} is not a folder beside template.yaml`);
    fetchSteps.push({ id: typeof step.id === 'string' ? step.id : `step-${index}`, if: step.if, input });
  }
  if (fetchSteps.length === 0) throw bad(file, 'has no fetch:template step: nothing to render');
  return {
    dir,
    name: typeof metadata.name === 'string' ? metadata.name : '',
    title: typeof metadata.title === 'string' ? metadata.title : '',
    description: typeof metadata.description === 'string' ? metadata.description : '',
    pages,
    parameters,
    fetchSteps,
    actions,
  };
}
