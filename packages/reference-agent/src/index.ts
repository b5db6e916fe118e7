export { ARTICLES, CUSTOMERS, createDesk, ORDERS } from './desk.js';
export type { Article, Desk, DeskFaults, DeskOptions, Effect, Order } from './desk.js';
export { loadScenarios, Scenario } from './scenario.js';
export {
  CANARY,
  customerContext,
  INSTRUCTIONS,
  loadDeskSpec,
  PACKAGE_ROOT,
  runScenario,
  runSuite,
  SCENARIO_DIR,
  summarize,
} from './suite.js';
export type { DeskSpec, RunScenarioOptions, ScenarioOutcome, SuiteSummary } from './suite.js';
