// RFC 9457 problem documents. `type` is a stable URN per kind of problem (clients branch on it);
// `title` is fixed per type, `detail` says what happened and what to do.

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const PROBLEMS = {
  malformedJson: { type: 'urn:charter:problem:malformed-json', title: 'The body is not valid JSON', status: 400 },
  validation: { type: 'urn:charter:problem:validation', title: 'The request does not match the schema', status: 400 },
  jsonTooDeep: { type: 'urn:charter:problem:json-too-deep', title: 'The JSON body is nested too deeply', status: 400 },
  unsupportedMediaType: { type: 'urn:charter:problem:unsupported-media-type', title: 'The body must be application/json', status: 415 },
  bodyTooLarge: { type: 'urn:charter:problem:body-too-large', title: 'The body is too large', status: 413 },
  headersTooLarge: { type: 'urn:charter:problem:headers-too-large', title: 'The request headers are too large', status: 431 },
  requestTimeout: { type: 'urn:charter:problem:request-timeout', title: 'The request took too long to arrive', status: 408 },
  unauthorized: { type: 'urn:charter:problem:unauthorized', title: 'A valid API key is required', status: 401 },
  notFound: { type: 'urn:charter:problem:not-found', title: 'Not found', status: 404 },
  notPaused: { type: 'urn:charter:problem:not-paused', title: 'The run is not waiting for an approval', status: 409 },
  quotaExceeded: { type: 'urn:charter:problem:quota-exceeded', title: 'A quota of the tenant is used up', status: 429 },
  queueFull: { type: 'urn:charter:problem:queue-full', title: 'The run queue is full', status: 503 },
  shuttingDown: { type: 'urn:charter:problem:shutting-down', title: 'The service is shutting down', status: 503 },
  internal: { type: 'urn:charter:problem:internal', title: 'Internal error', status: 500 },
} as const;

export type ProblemKind = keyof typeof PROBLEMS;

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  /** Validation problems: each field that failed, as a JSON pointer into the body (or query/params). */
  readonly errors?: readonly { readonly pointer: string; readonly detail: string }[];
  readonly [extension: string]: unknown;
}

export function problem(kind: ProblemKind, detail: string, extensions: Record<string, unknown> = {}): Problem {
  const { type, title, status } = PROBLEMS[kind];
  return { type, title, status, detail, ...extensions };
}

/** Carries a problem through fastify's error handler. */
export class HttpProblem extends Error {
  readonly problem: Problem;
  readonly headers: Readonly<Record<string, string>>;
  constructor(value: Problem, headers: Readonly<Record<string, string>> = {}) {
    super(value.detail);
    this.problem = value;
    this.headers = headers;
  }
}

/**
 * The deepest nesting of arrays and objects in a JSON text, stopping as soon as it passes `limit`
 * (a linear scan that skips strings, so `"[[["` inside a string does not count).
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > limit) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}
