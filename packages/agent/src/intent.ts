// The intent words of a grant (ADR 0011): which words of the user's request ask for a tool's kind of
// action. Its own module so that `intentTerms` (public) does not load the provenance check, which the
// agent loads at its first side-effecting call.
import type { ToolGrant } from '@charter/spec';

// Words a default intent vocabulary leaves out: they name objects or generic acts, not the kind of action.
const GENERIC = new Set([
  'a', 'an', 'and', 'the', 'to', 'of', 'for', 'by', 'with', 'in', 'on', 'or', 'from', 'at', 'into',
  'get', 'set', 'do', 'make', 'run', 'send', 'create', 'new', 'add', 'put', 'post', 'call', 'use',
  'order', 'orders', 'item', 'items', 'data', 'info', 'record', 'records', 'tool', 'user', 'customer', 'account',
]); // prettier-ignore

// Default synonyms by a word of the tool's name.
const SYNONYMS: Readonly<Record<string, readonly string[]>> = {
  refund: ['refund', 'reimburse', 'money back'],
  email: ['email', 'e-mail', 'mail'],
  mail: ['email', 'e-mail', 'mail'],
  escalate: ['escalate', 'human', 'person', 'representative', 'supervisor', 'manager'],
  human: ['escalate', 'human', 'person', 'representative', 'supervisor', 'manager'],
  cancel: ['cancel'],
  delete: ['delete', 'remove', 'erase'],
  remove: ['delete', 'remove'],
  pay: ['pay', 'payment', 'transfer'],
  transfer: ['transfer', 'pay', 'wire'],
  book: ['book', 'reserve', 'reservation'],
  message: ['message', 'text', 'sms'],
  ticket: ['ticket', 'case'],
};

/** The intent words of a grant: its `provenance.intent`, or derived from the tool's name. */
export function intentTerms(
  grant: Pick<ToolGrant, 'name'> & { readonly provenance?: { readonly intent?: readonly string[] | undefined } | undefined },
): readonly string[] {
  const declared = grant.provenance?.intent;
  if (declared !== undefined) return declared;
  const words = grant.name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 0);
  const specific = words.filter((word) => !GENERIC.has(word));
  const terms = new Set<string>();
  for (const word of specific.length > 0 ? specific : words) for (const term of SYNONYMS[word] ?? [word]) terms.add(term);
  return [...terms];
}
