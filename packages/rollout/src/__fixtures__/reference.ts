import { join } from 'node:path';
import type { AgentManifest } from '@charter/spec';
import { loadRolloutPlan } from '../plan.js';

/** The support-desk agent's manifest (a copy of the reference agent's, without playbooks). */
export const AGENT_DIR = join(import.meta.dirname, 'agent');

export function referenceManifest(): AgentManifest {
  return loadRolloutPlan(AGENT_DIR).manifest;
}
