/** First redial delay after a failed dial or a lost connection. */
export const RECONNECT_MIN_MS = 500
/** Cap of the exponential backoff: a member back online is found within this time. */
export const RECONNECT_MAX_MS = 30_000
/** How often connected members are pinged for round-trip time (cheap: a few bytes). */
export const PING_INTERVAL_MS = 10_000
/** A dial that takes longer than this is abandoned and retried with backoff. */
export const DIAL_TIMEOUT_MS = 10_000
