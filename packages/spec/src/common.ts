import { z } from 'zod';
import { isSemverRange, isSemverVersion } from './semver-lazy.js';

/** The one apiVersion of every Charter document in this release. */
export const API_VERSION = 'charter.dev/v1alpha1';

/** A DNS-1123 label: lower-case letters, digits and dashes, at most 63 characters. */
export const DnsLabel = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/, {
    error: 'must be a DNS label: lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters',
  });

/** A Backstage-style group reference: `group:team`, `group:namespace/team`. */
export const GroupRef = z.string().regex(/^group:(?:[a-z0-9][-a-z0-9_.]{0,62}\/)?[a-z0-9][-a-z0-9_.]{0,62}$/, {
  error: 'must be a group reference such as "group:default/customer-care"',
});

/** A semver range such as `^1.2.0` or `>=2 <3`. */
export const SemverRange = z.string().max(64).refine(isSemverRange, { error: 'must be a semver range such as "^1.0.0"' });

/** A semver version such as `1.4.2`. */
export const SemverVersion = z.string().max(64).refine(isSemverVersion, { error: 'must be a semver version such as "1.0.0"' });

/** A duration such as `30s`, `5m`, `24h`, `7d`. */
export const Duration = z.string().regex(/^\d{1,6}(?:ms|[smhd])$/, { error: 'must be a duration such as "30s", "5m", "24h" or "7d"' });

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Converts a `Duration` string to milliseconds. */
export function durationToMs(duration: string): number {
  const match = /^(\d{1,6})(ms|[smhd])$/.exec(duration);
  if (!match) throw new RangeError(`not a duration: ${duration}`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** A tool or playbook identifier: lower snake or kebab case. */
export const Identifier = z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, {
  error: 'must start with a lower-case letter and use only a-z, 0-9, "_" and "-" (at most 64 characters)',
});

/** Metadata shared by every Charter document. */
export const Metadata = z.strictObject({
  name: DnsLabel,
  title: z.string().min(1).max(120).optional(),
  description: z.string().min(1).max(2000).optional(),
  owner: GroupRef,
  lifecycle: z.enum(['experimental', 'production', 'deprecated']).default('experimental'),
  tags: z
    .array(z.string().regex(/^[a-z0-9][-a-z0-9]{0,62}$/, { error: 'tags are lower-case words joined by "-"' }))
    .max(20)
    .default([]),
});
export type Metadata = z.infer<typeof Metadata>;
