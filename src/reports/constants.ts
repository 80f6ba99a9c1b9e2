/** Limits of what an analyst may put in a report (the receiver checks them too). */
export const MAX_URL_LENGTH = 8192
export const MAX_NOTE_LENGTH = 4096
export const MAX_HASHES = 100
/** A hoster's name (a company), not a text field: 256 printable characters is plenty. */
export const MAX_HOSTER_LENGTH = 256
/** AS numbers are 32-bit (RFC 6793). */
export const MAX_ASN = 0xffff_ffff
/** URL schemes a hoster can take content down from; `javascript:`, `data:` and the like are not. */
export const URL_SCHEMES: ReadonlySet<string> = new Set(['http:', 'https:', 'ftp:'])

/**
 * How far a signed time (a report's creation, a status update, feedback) may lie ahead of the
 * receiver's clock, and a status update before its report's creation. NTP keeps hotlines
 * within seconds; five minutes tolerates a badly kept clock, not a forged date.
 */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000
/**
 * Status updates kept per report. A hotline records a handful (assessed, notice sent,
 * removed); every update rewrites the whole stored report, so the timeline must stay short.
 */
export const MAX_STATUS_UPDATES = 64

/** Retention runs at start and then this often (deleting is cheap; once a few hours is plenty). */
export const RETENTION_INTERVAL_MS = 6 * 60 * 60 * 1000
export const DAY_MS = 24 * 60 * 60 * 1000
/**
 * The latest time a JS Date can hold (year 275760). A signed record claiming a later time is
 * refused as malformed: every view, statistic and retention bucket turns times into dates.
 */
export const MAX_TIME_MS = 8.64e15
