import { StateError, StateErrorCode } from './errors.js';

const NAME = /^[\w.:-]{1,200}$/;

/** Namespaces, keys, agent names and log ids: the same rule in every implementation (they name files too). */
export function checkName(what: string, value: unknown): string {
  if (typeof value !== 'string' || !NAME.test(value) || value === '.' || value === '..')
    throw new StateError(
      StateErrorCode.BadConfig,
      `${what} "${typeof value === 'string' ? value.slice(0, 80) : typeof value}" must be 1-200 letters, digits, ".", "_", ":" or "-" (not "." or "..")`,
    );
  return value;
}
