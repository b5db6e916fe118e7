// The agent's public entry: what a host application (an HTTP service, a queue worker) imports.
export { createServiceAgent, loadServiceAgent, MANIFEST_PATH } from './agent.js';
export type { ServiceAgentOptions } from './agent.js';
export { CANARY, canaries, context, createDesk, createTools, CREATE_TICKET_SIDE_EFFECTS, instructions } from './tools.js';
export type { Desk, DeskOptions, Faults, Ticket } from './tools.js';
export { loadScenarios, runScenario, runSuite, Scenario, SCENARIO_DIR } from './scenarios.js';
export type { RunScenarioOptions, ScenarioOutcome } from './scenarios.js';
