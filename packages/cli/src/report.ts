import { z } from 'zod';

/** One problem in the `charter validate --json` report. */
export const ReportIssue = z.strictObject({
  code: z.string(),
  severity: z.enum(['error', 'warning']),
  message: z.string(),
  file: z.string(),
  line: z.int().positive(),
  column: z.int().positive(),
  endLine: z.int().positive(),
  endColumn: z.int().positive(),
  pointer: z.string(),
  document: z.int().nonnegative(),
  suggestion: z.string().optional(),
  /** Other places the problem involves (e.g. the manifest line a policy line restates). */
  related: z
    .array(
      z.strictObject({
        file: z.string(),
        line: z.int().positive(),
        column: z.int().positive(),
        endLine: z.int().positive(),
        endColumn: z.int().positive(),
        message: z.string(),
      }),
    )
    .readonly()
    .optional(),
});
export type ReportIssue = z.infer<typeof ReportIssue>;

/** The shape of `charter validate --json` (version 1). Documented in the package README. */
export const ValidateReport = z.strictObject({
  version: z.literal(1),
  ok: z.boolean(),
  summary: z.strictObject({
    files: z.int().nonnegative(),
    filesWithErrors: z.int().nonnegative(),
    /** Documents without errors, by kind. */
    documents: z.record(z.string(), z.int().nonnegative()),
    /** Documents (schema-valid or not) that at least one error points into. */
    documentsWithErrors: z.int().nonnegative(),
    errors: z.int().nonnegative(),
    warnings: z.int().nonnegative(),
  }),
  files: z.array(
    z.strictObject({
      file: z.string(),
      /** Documents that passed their schema; `ok` is false when an error points into one (e.g. a missing policy). */
      documents: z.array(
        z.strictObject({ kind: z.string(), name: z.string(), document: z.int().nonnegative(), line: z.int().positive(), ok: z.boolean() }),
      ),
      issues: z.array(ReportIssue),
    }),
  ),
});
export type ValidateReport = z.infer<typeof ValidateReport>;
