/** Stable codes of every error `@charter/telemetry` throws. */
export const TelemetryErrorCode = {
  /** `createTelemetry` or a sink was given options it cannot work with. */
  BadOptions: 'TELEMETRY_BAD_OPTIONS',
  /** A sink threw while writing an event (the original error is the `cause`). */
  SinkFailed: 'TELEMETRY_SINK_FAILED',
  /** A sink was written to after `close()`. */
  SinkClosed: 'TELEMETRY_SINK_CLOSED',
  /** A value cannot be written as canonical JSON (non-finite number, bigint, cycle, class instance…). */
  NotCanonical: 'TELEMETRY_NOT_CANONICAL',
  /** The audit log needs an HMAC key (checkpoints were asked for) and none was given or found in the environment. */
  AuditKeyMissing: 'TELEMETRY_AUDIT_KEY_MISSING',
  /** The audit log file could not be read or appended to. */
  AuditIo: 'TELEMETRY_AUDIT_IO',
  /** An audit record was missing a field the audit trail requires. */
  AuditRecordInvalid: 'TELEMETRY_AUDIT_RECORD_INVALID',
  /** An event log could not be read (missing, a folder, no permission). */
  EventsUnreadable: 'TELEMETRY_EVENTS_UNREADABLE',
  /** A line of an event log is not JSON or not a valid event (the message names file:line). */
  EventsInvalid: 'TELEMETRY_EVENTS_INVALID',
  /** A replay recording failed validation. */
  RecordingInvalid: 'TELEMETRY_RECORDING_INVALID',
  /** The re-run asked for more model responses or tool results than the recording holds. */
  ReplayExhausted: 'TELEMETRY_REPLAY_EXHAUSTED',
  /** The re-run called a different tool, or with different arguments, than the recording. */
  ReplayDiverged: 'TELEMETRY_REPLAY_DIVERGED',
  /** The re-run left recorded responses or tool results unused. */
  ReplayNotDrained: 'TELEMETRY_REPLAY_NOT_DRAINED',
  /** A replayed run differs from its recording (`expectReplayToMatch`). */
  ReplayMismatch: 'TELEMETRY_REPLAY_MISMATCH',
} as const;
export type TelemetryErrorCode = (typeof TelemetryErrorCode)[keyof typeof TelemetryErrorCode];

const marker = Symbol.for('charter.telemetry.error');

/** Base class of every error thrown by `@charter/telemetry`. */
export class TelemetryError extends Error {
  readonly [marker] = true;
  override readonly name: string = 'TelemetryError';
  readonly code: TelemetryErrorCode;

  constructor(code: TelemetryErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** True for a TelemetryError from any copy of this package. */
  static isInstance(value: unknown): value is TelemetryError {
    return typeof value === 'object' && value !== null && marker in value;
  }
}
