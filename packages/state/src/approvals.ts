import { SqlFeedbackStore } from './feedback.js';
import { checkName } from './names.js';
import type { SqlDriver } from './sql.js';

/** An approval a run asked for, as `SqlRunStore.save` projects it from the checkpoint that paused. */
export interface ApprovalRow {
  readonly approvalId: string;
  readonly runId: string;
  readonly agent: string;
  readonly tool: string;
  readonly callId: string;
  readonly args: unknown;
  readonly reason: string;
  readonly status: 'pending' | 'granted' | 'denied';
  readonly requestedAt: string;
  readonly decidedBy: string | undefined;
  readonly decisionReason: string | undefined;
}

interface Row {
  approval_id: string;
  run_id: string;
  agent: string;
  tool: string;
  call_id: string;
  args: string;
  reason: string;
  status: ApprovalRow['status'];
  requested_at: Date | string;
  decided_by: string | null;
  decision_reason: string | null;
}

const toApproval = (row: Row): ApprovalRow => ({
  approvalId: row.approval_id,
  runId: row.run_id,
  agent: row.agent,
  tool: row.tool,
  callId: row.call_id,
  args: JSON.parse(row.args) as unknown,
  reason: row.reason,
  status: row.status,
  requestedAt: new Date(row.requested_at).toISOString(),
  decidedBy: row.decided_by ?? undefined,
  decisionReason: row.decision_reason ?? undefined,
});

/**
 * The approvals queue across every instance: which runs wait for whom. Rows are written with the
 * checkpoints (`SqlRunStore`); `record` notes a human's decision before `agent.resume` carries it out.
 */
export class SqlApprovals {
  readonly #db: SqlDriver;

  constructor(db: SqlDriver) {
    this.#db = db;
  }

  /** Pending approvals of an agent, oldest first. */
  async pending(agent: string, limit = 100): Promise<ApprovalRow[]> {
    checkName('agent', agent);
    const { rows } = await this.#db.query<Row>(
      `SELECT * FROM approvals WHERE agent = $1 AND status = 'pending' ORDER BY requested_at LIMIT $2`,
      [agent, limit],
    );
    return rows.map(toApproval);
  }

  async get(approvalId: string): Promise<ApprovalRow | undefined> {
    const { rows } = await this.#db.query<Row>('SELECT * FROM approvals WHERE approval_id = $1', [approvalId]);
    return rows[0] === undefined ? undefined : toApproval(rows[0]);
  }

  /**
   * Records a decision on a pending approval; false when it is not pending (decided already, or
   * unknown). A denial is a human overriding the agent: it is also recorded as feedback on the run
   * (kind `approval-denied`, correction `mustNotRun: [tool]`), in the same transaction.
   */
  async record(
    approvalId: string,
    decision: { readonly approved: boolean; readonly approver: string; readonly reason?: string },
  ): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const { rows } = await tx.query<Row>(
        `UPDATE approvals SET status = $2, decided_by = $3, decision_reason = $4, decided_at = now()
         WHERE approval_id = $1 AND status = 'pending' RETURNING *`,
        [approvalId, decision.approved ? 'granted' : 'denied', decision.approver, decision.reason ?? null],
      );
      const row = rows[0];
      if (row === undefined) return false;
      if (!decision.approved)
        await new SqlFeedbackStore(tx).record({
          runId: row.run_id,
          agent: row.agent,
          kind: 'approval-denied',
          correction: { mustNotRun: [row.tool] },
          reason: decision.reason ?? `${decision.approver} denied ${row.tool}: ${row.reason}`.slice(0, 2000),
          by: decision.approver,
        });
      return true;
    });
  }
}
