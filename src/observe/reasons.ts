/**
 * A closed list of rejection reasons, each with the one line the README and HELP readers see.
 * Reasons become metric labels and status keys: a list keeps their number bounded and every
 * one of them documented. `R` is the union of the keys.
 */
export type ReasonList<R extends string> = Readonly<Record<R, string>>

/** The reasons of a list, in the order written. */
export function reasonsOf<R extends string> (list: ReasonList<R>): R[] {
  return Object.keys(list) as R[]
}

/** Whether `reason` is one of `list`'s (narrows a string read off an error or the wire). */
export function isReason<R extends string> (list: ReasonList<R>, reason: unknown): reason is R {
  return typeof reason === 'string' && Object.prototype.hasOwnProperty.call(list, reason)
}
