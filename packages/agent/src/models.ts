export { scripted, Script } from './models/scripted.js';
export type { ScriptInput } from './models/scripted.js';
export { gullible, findInstructions } from './models/gullible.js';
export type { Instruction } from './models/gullible.js';
export { obedient } from './models/obedient.js';
export type { Attack, ObedientOptions } from './models/obedient.js';
export { modelFromEnv, MODEL_ENV } from './models/provider.js';
export { offlineModel, estimateTokens } from './models/common.js';
export type { Respond } from './models/common.js';
