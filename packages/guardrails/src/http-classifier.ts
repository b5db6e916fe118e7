// An adapter for a prompt-injection classifier served over HTTP (PromptGuard-style: text in, label
// scores out), usable as a `classifier` detector. Request: `POST url` with `{"inputs": "<text>"}` (single)
// or `{"inputs": ["<chunk>", …]}` (batch), the body Hugging Face text-classification endpoints and TEI's
// `/predict` accept. Long texts are cut into chunks (the models read a few hundred tokens); the text's
// score is its highest chunk's. Failures are values: a result with `failure` (mode fail-closed or
// fail-open), which the engine turns into a visible finding; configuration errors throw when created.
import { GuardrailClassifierError, GuardrailErrorCode } from './errors.js';
import type { Classifier, ClassifierFailureMode, ClassifierResult, GuardrailHook } from './types.js';

/** Labels read as "injection" by the default parser (compared case-insensitively). */
export const DEFAULT_POSITIVE_LABELS: readonly string[] = Object.freeze(['INJECTION', 'JAILBREAK', 'MALICIOUS', 'UNSAFE', 'LABEL_1']);

export interface HttpClassifierOptions {
  /** Endpoint, `http:` or `https:`. */
  readonly url: string;
  /** Per request, in milliseconds (default 2000). */
  readonly timeoutMs?: number;
  /**
   * Request headers. A value may name environment variables as `${NAME}` (e.g. `Bearer ${PROMPTGUARD_TOKEN}`),
   * resolved once when the classifier is created; an unset variable is a `GUARDRAILS_CLASSIFIER_CONFIG` error.
   */
  readonly headers?: Readonly<Record<string, string>>;
  /** Where `${NAME}` is looked up (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** `batch` (default): a text's chunks go in one request, `maxBatch` at a time; `single`: one request per chunk. */
  readonly mode?: 'single' | 'batch';
  /** Longest chunk, in characters (default 2000). Chunks end at whitespace when there is some. */
  readonly maxChunkChars?: number;
  /** Chunks per request in batch mode (default 16). */
  readonly maxBatch?: number;
  /** What a failure decides (default `fail-closed`: the detector's action applies). */
  readonly onFailure?: ClassifierFailureMode;
  /** Retries after a timeout, a 5xx or a network error (default 0). */
  readonly retries?: number;
  /** Labels whose scores add up to the injection score (default `DEFAULT_POSITIVE_LABELS`). */
  readonly positiveLabels?: readonly string[];
  /** Builds the request body (default `{ inputs }`: a string in single mode, an array in batch mode). */
  readonly body?: (inputs: readonly string[], mode: 'single' | 'batch') => unknown;
  /** Reads one result per input from the response JSON (default `parseClassifierResponse`). */
  readonly parse?: (json: unknown, inputs: number) => readonly ClassifierResult[];
  /** The fetch implementation (default `globalThis.fetch`). */
  readonly fetch?: typeof fetch;
}

/** A `Classifier` for `compilePolicy({ classifiers })`, plus direct access for batches of texts. */
export interface HttpClassifier extends Classifier {
  /** Scores each text (chunked as configured); failures are results with `failure`, never thrown. */
  classifyMany(texts: readonly string[]): Promise<ClassifierResult[]>;
  readonly url: string;
  readonly onFailure: ClassifierFailureMode;
}

const ENV_REFERENCE = /\$\{([a-z_]\w{0,127})\}/gi;

const configError = (message: string): GuardrailClassifierError =>
  new GuardrailClassifierError(GuardrailErrorCode.ClassifierConfig, message);

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Score of one input from a list of `{label, score}`: the sum over positive labels, or 1 - a lone negative label's score. */
function scoreLabels(list: readonly unknown[], positive: ReadonlySet<string>): ClassifierResult | undefined {
  let sum = 0;
  let sawPositive = false;
  let top: { label: string; score: number } | undefined;
  for (const item of list) {
    if (!isRecord(item) || typeof item.label !== 'string' || typeof item.score !== 'number' || !Number.isFinite(item.score))
      return undefined;
    if (item.score < 0 || item.score > 1) return undefined;
    if (top === undefined || item.score > top.score) top = { label: item.label, score: item.score };
    if (positive.has(item.label.toUpperCase())) {
      sum += item.score;
      sawPositive = true;
    }
  }
  if (top === undefined) return undefined;
  const score = sawPositive ? Math.min(1, sum) : list.length === 1 ? 1 - top.score : 0;
  return { score, label: top.label };
}

/**
 * The default response parser. Accepts, for `inputs` texts:
 * - `{ "score": 0.97, "label": "INJECTION" }` (one input) or `{ "scores": [0.1, 0.97] }` (one score per input);
 * - `[{ "label": …, "score": … }, …]`: all labels of one input (when `inputs` is 1) or the top label of each input;
 * - `[[{ "label": …, "score": … }, …], …]`: all labels of each input (Hugging Face batch output).
 * A label's score counts towards injection when the label is positive; a lone negative label scores 1 - its score.
 */
export function parseClassifierResponse(
  json: unknown,
  inputs: number,
  positiveLabels: readonly string[] = DEFAULT_POSITIVE_LABELS,
): ClassifierResult[] {
  const positive = new Set(positiveLabels.map((label) => label.toUpperCase()));
  const bad = (why: string): GuardrailClassifierError =>
    new GuardrailClassifierError(GuardrailErrorCode.ClassifierBadResponse, `classifier response ${why} (expected ${inputs} score(s))`);
  if (isRecord(json)) {
    if (Array.isArray(json.scores)) {
      const scores = json.scores;
      if (scores.length !== inputs || !scores.every((s) => typeof s === 'number' && s >= 0 && s <= 1))
        throw bad('has an invalid "scores" array');
      return scores.map((score) => ({ score: score as number }));
    }
    if (inputs === 1 && typeof json.score === 'number') {
      const label = typeof json.label === 'string' ? json.label : undefined;
      const result = label === undefined ? { score: json.score } : scoreLabels([{ label, score: json.score }], positive);
      if (result === undefined || !(result.score >= 0 && result.score <= 1)) throw bad('has a score outside 0-1');
      return [result];
    }
    throw bad('is an object without "score" or "scores"');
  }
  if (!Array.isArray(json) || json.length === 0) throw bad('is not a non-empty array');
  if (json.every((item) => Array.isArray(item))) {
    if (json.length !== inputs) throw bad(`has ${json.length} label lists`);
    return json.map((labels: unknown[]) => {
      const result = scoreLabels(labels, positive);
      if (result === undefined) throw bad('has an invalid label list');
      return result;
    });
  }
  if (inputs === 1) {
    const result = scoreLabels(json, positive);
    if (result === undefined) throw bad('has an invalid label list');
    return [result];
  }
  if (json.length !== inputs) throw bad(`has ${json.length} labels`);
  return json.map((item) => {
    const result = scoreLabels([item], positive);
    if (result === undefined) throw bad('has an invalid label');
    return result;
  });
}

const isSpace = (code: number): boolean => code === 32 || code === 10 || code === 13 || code === 9;

/** Cuts `text` into chunks of at most `max` characters, at the last whitespace of each window when there is one. Linear. */
export function chunkText(text: string, max: number): { start: number; end: number }[] {
  const chunks: { start: number; end: number }[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + max);
    if (end < text.length) {
      let cut = end;
      while (cut > start + (max >>> 1) && !isSpace(text.charCodeAt(cut - 1))) cut--;
      if (cut > start + (max >>> 1)) end = cut;
    }
    chunks.push({ start, end });
    start = end;
  }
  if (chunks.length === 0) chunks.push({ start: 0, end: 0 });
  return chunks;
}

/**
 * Creates a classifier that asks a prompt-injection model served over HTTP. Register it by the name a
 * policy's `classifier` detector uses: `compilePolicy(policy, { classifiers: { promptguard: createHttpClassifier({ url }) } })`.
 * Throws `GuardrailClassifierError` (`GUARDRAILS_CLASSIFIER_CONFIG`) on a bad URL, option or unset variable.
 */
export function createHttpClassifier(options: HttpClassifierOptions): HttpClassifier {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch (cause) {
    throw new GuardrailClassifierError(GuardrailErrorCode.ClassifierConfig, `classifier url "${options.url}" is not a URL`, { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw configError(`classifier url must be http: or https:, got ${url.protocol}`);
  const timeoutMs = options.timeoutMs ?? 2000;
  const maxChunkChars = options.maxChunkChars ?? 2000;
  const maxBatch = options.maxBatch ?? 16;
  const retries = options.retries ?? 0;
  const mode = options.mode ?? 'batch';
  const onFailure: ClassifierFailureMode = options.onFailure ?? 'fail-closed';
  for (const [name, value, min, max] of [
    ['timeoutMs', timeoutMs, 1, 600_000],
    ['maxChunkChars', maxChunkChars, 16, 1_000_000],
    ['maxBatch', maxBatch, 1, 1024],
    ['retries', retries, 0, 10],
  ] as const)
    if (!Number.isInteger(value) || value < min || value > max)
      throw configError(`classifier option ${name} must be an integer from ${min} to ${max}, got ${value}`);
  // Checked at run time too: JavaScript callers and configuration files are not type-checked.
  if (!(['fail-closed', 'fail-open'] as readonly string[]).includes(onFailure))
    throw configError(`classifier option onFailure must be "fail-closed" or "fail-open", got ${onFailure}`);
  if (!(['single', 'batch'] as readonly string[]).includes(mode))
    throw configError(`classifier option mode must be "single" or "batch", got ${mode}`);
  const env = options.env ?? process.env;
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  for (const [name, template] of Object.entries(options.headers ?? {})) {
    headers[name.toLowerCase()] = template.replace(ENV_REFERENCE, (_match, variable: string) => {
      const value = env[variable];
      if (value === undefined || value === '')
        throw configError(`environment variable ${variable} is not set (the classifier header "${name}" needs it)`);
      return value;
    });
  }
  const doFetch = options.fetch ?? globalThis.fetch;
  const positiveLabels = options.positiveLabels ?? DEFAULT_POSITIVE_LABELS;
  const body = options.body ?? ((inputs: readonly string[], m: 'single' | 'batch') => ({ inputs: m === 'single' ? inputs[0] : inputs }));
  const parse = options.parse ?? ((json: unknown, inputs: number) => parseClassifierResponse(json, inputs, positiveLabels));
  const target = url.toString();

  /** One request for `inputs`; retried on timeouts, 5xx and network errors. */
  const request = async (inputs: readonly string[]): Promise<readonly ClassifierResult[]> => {
    let last: GuardrailClassifierError | undefined;
    for (let attempt = 0; attempt <= retries; attempt++) {
      let response: Response;
      try {
        response = await doFetch(target, {
          method: 'POST',
          headers,
          body: JSON.stringify(body(inputs, mode)),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (cause) {
        const timedOut = cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
        last = timedOut
          ? new GuardrailClassifierError(GuardrailErrorCode.ClassifierTimeout, `no answer from ${url.host} within ${timeoutMs} ms`, {
              cause,
            })
          : new GuardrailClassifierError(
              GuardrailErrorCode.ClassifierUnreachable,
              `cannot reach ${url.host}: ${cause instanceof Error ? cause.message : String(cause)}`,
              {
                cause,
              },
            );
        continue;
      }
      let text: string;
      try {
        text = await response.text();
      } catch (cause) {
        last = new GuardrailClassifierError(
          GuardrailErrorCode.ClassifierTimeout,
          `the answer from ${url.host} did not complete within ${timeoutMs} ms`,
          { cause },
        );
        continue;
      }
      if (!response.ok) {
        last = new GuardrailClassifierError(
          GuardrailErrorCode.ClassifierHttp,
          `${url.host} answered HTTP ${response.status}: ${text.slice(0, 200)}`,
          {
            status: response.status,
          },
        );
        if (response.status >= 500) continue;
        throw last;
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (cause) {
        throw new GuardrailClassifierError(
          GuardrailErrorCode.ClassifierBadResponse,
          `${url.host} answered with something that is not JSON`,
          { cause },
        );
      }
      const results = parse(json, inputs.length);
      if (results.length !== inputs.length || !results.every((r) => typeof r.score === 'number' && r.score >= 0 && r.score <= 1))
        throw new GuardrailClassifierError(
          GuardrailErrorCode.ClassifierBadResponse,
          `${url.host} did not give a 0-1 score for each of ${inputs.length} input(s)`,
        );
      return results;
    }
    throw last ?? new GuardrailClassifierError(GuardrailErrorCode.ClassifierUnreachable, `no attempt reached ${url.host}`);
  };

  /** Scores one text: chunks, requests, the highest chunk wins; a failure becomes a `failure` result. */
  const classifyOne = async (text: string): Promise<ClassifierResult> => {
    const chunks = chunkText(text, maxChunkChars);
    const pieces = chunks.map(({ start, end }) => text.slice(start, end));
    try {
      const scores: ClassifierResult[] = [];
      const step = mode === 'single' ? 1 : maxBatch;
      for (let at = 0; at < pieces.length; at += step) scores.push(...(await request(pieces.slice(at, at + step))));
      let best = 0;
      for (let i = 1; i < scores.length; i++) if ((scores[i]?.score ?? 0) > (scores[best]?.score ?? 0)) best = i;
      const top = scores[best] ?? { score: 0 };
      const span = chunks[best] ?? { start: 0, end: text.length };
      return {
        score: top.score,
        ...(top.label === undefined ? {} : { label: top.label }),
        ...(chunks.length > 1 ? { spans: [{ start: span.start, end: span.end }] } : {}),
      };
    } catch (error) {
      if (!GuardrailClassifierError.isInstance(error)) throw error;
      return { score: 0, failure: { mode: onFailure, code: error.code, message: error.message } };
    }
  };

  const classifier = (text: string, _info: { readonly hook: GuardrailHook }): Promise<ClassifierResult> => classifyOne(text);
  return Object.assign(classifier, {
    classifyMany: async (texts: readonly string[]): Promise<ClassifierResult[]> => {
      const out: ClassifierResult[] = [];
      for (const text of texts) out.push(await classifyOne(text));
      return out;
    },
    url: target,
    onFailure,
  });
}
