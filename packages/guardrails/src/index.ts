export { APPROVAL_RULE, compilePolicy, DEFAULT_MAX_INPUT_CHARS, PROVENANCE_RULE } from './engine.js';
export type { CompileOptions, GuardrailEngine, GuardrailRun, RunOptions, ToolGrantInput } from './engine.js';
export { packs, recommended, strict } from './packs.js';
export type { GuardrailPackDefinition } from './packs.js';
export { secretRules } from './detectors/secrets.js';
export type { SecretRule } from './detectors/secrets.js';
export { injectionRules } from './detectors/injection.js';
export type { InjectionRule, InjectionSignal } from './detectors/injection.js';
export { PII_ENTITIES } from './detectors/pii.js';
export { createRedactor } from './redactor.js';
export type { RedactorOptions } from './redactor.js';
export { GuardrailBlockedError, GuardrailClassifierError, GuardrailError, GuardrailErrorCode } from './errors.js';
export { chunkText, createHttpClassifier, DEFAULT_POSITIVE_LABELS, parseClassifierResponse } from './http-classifier.js';
export type { HttpClassifier, HttpClassifierOptions } from './http-classifier.js';
export type {
  Classifier,
  ClassifierFailureMode,
  ClassifierResult,
  Decision,
  DetectorName,
  Finding,
  GuardrailAction,
  GuardrailHook,
  GuardrailRequest,
  RedactionMode,
  Severity,
  ToolCall,
  UngroundedReason,
} from './types.js';
