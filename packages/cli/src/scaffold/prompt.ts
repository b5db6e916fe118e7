// Asking for missing values in a terminal, from the template's own parameter schema: an enum becomes a
// list to choose from, a boolean a yes/no question, a number a number field, anything else a text field;
// each answer is checked against the parameter's schema before it is taken. Uses @inquirer/prompts.
import { Ajv } from 'ajv';
import type { TemplateParameter } from './template.js';

/** Asks for one parameter's value. */
export interface Prompter {
  ask(parameter: TemplateParameter): Promise<unknown>;
}

const ajv = new Ajv({ allErrors: false, strict: false, validateFormats: false });

/** The schema's verdict on one answer: true, or the sentence to show. */
export function checkAnswer(parameter: TemplateParameter, value: unknown): true | string {
  const validate = ajv.compile(parameter.schema);
  if (validate(value)) return true;
  const error = validate.errors?.[0];
  if (error === undefined) return 'invalid value';
  if (error.keyword === 'pattern') return `must match ${(error.params as { pattern: string }).pattern}`;
  return error.message ?? 'invalid value';
}

const label = (parameter: TemplateParameter): string => {
  const title = typeof parameter.schema.title === 'string' ? parameter.schema.title : parameter.name;
  const description = typeof parameter.schema.description === 'string' ? ` (${parameter.schema.description})` : '';
  return `${title}${description}`;
};

/** A prompter on the process's terminal, built on @inquirer/prompts (loaded on first use). */
export async function terminalPrompter(): Promise<Prompter> {
  const { confirm, input, number, select } = await import('@inquirer/prompts');
  return {
    async ask(parameter) {
      const { schema } = parameter;
      const message = label(parameter);
      if (Array.isArray(schema.enum)) {
        const choices = schema.enum.map((value: unknown) => ({ name: JSON.stringify(value), value }));
        return select({ message, choices, ...(schema.default === undefined ? {} : { default: schema.default }) });
      }
      if (schema.type === 'boolean') return confirm({ message, default: schema.default === true });
      if (schema.type === 'number' || schema.type === 'integer') {
        return number({
          message,
          required: true,
          ...(typeof schema.default === 'number' ? { default: schema.default } : {}),
          validate: (value) => checkAnswer(parameter, value),
        });
      }
      return input({
        message,
        required: parameter.required,
        ...(typeof schema.default === 'string' ? { default: schema.default } : {}),
        validate: (value) => (value === '' && !parameter.required ? true : checkAnswer(parameter, value)),
      });
    },
  };
}
