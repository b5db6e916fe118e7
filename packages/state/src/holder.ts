import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { StateError, StateErrorCode } from './errors.js';

/** A holder id unique across hosts and processes: `host:pid:random`. */
export function holderId(): string {
  return `${hostname().slice(0, 64)}:${process.pid}:${randomBytes(6).toString('hex')}`;
}

export function positiveMs(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new StateError(StateErrorCode.BadConfig, `${name} must be a positive number of milliseconds, got ${String(value)}`);
  return value;
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
