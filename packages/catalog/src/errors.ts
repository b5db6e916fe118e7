/** Stable codes of every error `@charter/catalog` throws (problems in the repository's sources are issues, not errors). */
export const CatalogErrorCode = {
  /** The root has no package.json, or it is not JSON. */
  NoRepository: 'CATALOG_NO_REPOSITORY',
  /** The root package.json has no `charter.catalog` section, or the section is invalid (the message says which field). */
  BadConfig: 'CATALOG_BAD_CONFIG',
} as const;
export type CatalogErrorCode = (typeof CatalogErrorCode)[keyof typeof CatalogErrorCode];

const marker = Symbol.for('charter.catalog.error');

/** Base class of every error thrown by `@charter/catalog`. */
export class CatalogError extends Error {
  readonly [marker] = true;
  override readonly name: string = 'CatalogError';
  readonly code: CatalogErrorCode;

  constructor(code: CatalogErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** True for a CatalogError from any copy of this package. */
  static isInstance(value: unknown): value is CatalogError {
    return typeof value === 'object' && value !== null && marker in value;
  }
}
