import type { UpdateStatus } from './report-status.js'

/**
 * The report status state machine, the one rule for local updates and for updates a
 * responsible hotline sends us:
 *
 *   received → assessed | notice-sent | removed | not-illegal | unreachable
 *   assessed → notice-sent | removed | not-illegal | unreachable
 *   notice-sent → notice-sent (a reminder) | removed | unreachable
 *   removed, not-illegal, unreachable: closed
 *
 * Steps forward may be skipped (content found already gone is recorded `removed` at once);
 * anything backward (e.g. removed → assessed, notice-sent → not-illegal) is a correction: an explicit `reopen` with a
 * reason, to assessed or notice-sent. Statistics count a report by its latest status and
 * its removal time from the first REMOVED after the last reopen, so they never disagree.
 */
export type FromStatus = UpdateStatus | 'received'

export const TRANSITIONS: Readonly<Record<FromStatus, readonly UpdateStatus[]>> = {
  received: ['assessed', 'notice-sent', 'removed', 'not-illegal', 'unreachable'],
  assessed: ['notice-sent', 'removed', 'not-illegal', 'unreachable'],
  'notice-sent': ['notice-sent', 'removed', 'unreachable'],
  removed: [],
  'not-illegal': [],
  unreachable: []
}

/** Where a reopen may lead: the report is open again at the hoster. */
export const REOPEN_STATUSES = ['assessed', 'notice-sent'] as const satisfies readonly UpdateStatus[]
export type ReopenStatus = typeof REOPEN_STATUSES[number]

/** Null when the step is allowed, else why not (in words, for the error message). */
export function transitionError (from: FromStatus, to: UpdateStatus, reopen: boolean): string | null {
  if (reopen) {
    if (from === 'received') return 'a report that was never assessed has nothing to reopen; record "assessed"'
    if (!(REOPEN_STATUSES as readonly string[]).includes(to)) return `a reopen leads to ${REOPEN_STATUSES.join(' or ')}, not ${to}`
    return null
  }
  if (TRANSITIONS[from].includes(to)) return null
  const next = TRANSITIONS[from]
  return next.length === 0
    ? `the report is ${from}, which is final; correct it with \`reports reopen\` and a reason`
    : `a ${from} report goes on to ${next.join(', ')}, not ${to}; correct a mistake with \`reports reopen\` and a reason`
}
