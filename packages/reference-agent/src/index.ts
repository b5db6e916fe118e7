export { ARTICLES, CUSTOMERS, createDesk, ORDERS } from './desk.js';
export type { Article, Desk, DeskFaults, DeskOptions, Effect, Injection, Order } from './desk.js';
export { GOALS, injectionScenarios, TEMPLATES } from './injections.js';
export type { Goal, Template } from './injections.js';
export { loadScenarios, Scenario } from './scenario.js';
export {
  CANARY,
  customerContext,
  INSTRUCTIONS,
  loadDeskSpec,
  PACKAGE_ROOT,
  provenanceOnlyPolicy,
  runScenario,
  runSuite,
  SCENARIO_DIR,
  stoppedBy,
  summarize,
} from './suite.js';
export type { DeskSpec, RunScenarioOptions, ScenarioOutcome, SuiteSummary } from './suite.js';
