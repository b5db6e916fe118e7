import type { Io } from './command.js';

/** An `Io` that records what a command writes, for tests. */
export function captureIo(cwd: string, env: Record<string, string | undefined> = {}): Io & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: (text) => {
      out += text;
    },
    stderr: (text) => {
      err += text;
    },
    cwd,
    isTTY: false,
    env,
    out: () => out,
    err: () => err,
  };
}

/**
 * Values for the `agent-service` template that pass its schema, named `name` (the repository URL
 * follows it); `overrides` replaces or adds fields. Tests and benches of `charter new` share them.
 */
export function agentServiceValues(name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    description: 'Answers questions about service requests and opens tickets.',
    owner: 'group:default/platform-team',
    problem: 'Employees wait a median of 8 hours for an answer about a service request; 4,000 questions a month.',
    kpis: [
      { name: 'median time to first answer', unit: 'hours', baseline: 8, target: 0.5, direction: 'decrease' },
      { name: 'requests answered without a person', unit: 'percent', baseline: 0, target: 50, direction: 'increase' },
    ],
    roiHypothesis: 'Answering 2,000 lookups a month frees 1.5 FTE for 30,000 USD a year.',
    annualValueUsd: 120000,
    annualCostUsd: 30000,
    paybackMonths: 4,
    onCall: 'service-desk-oncall',
    ownerMembers: ['ana'],
    repoUrl: `github.com?owner=acme&repo=${name}`,
    ...overrides,
  };
}
