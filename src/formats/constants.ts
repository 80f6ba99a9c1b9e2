/** PDQ quality assumed when a format carries none (see `ParseInit.pdqQuality`). */
export const DEFAULT_PDQ_QUALITY = 100

/**
 * Longest line (characters) a line-oriented text format accepts. A hash line is at most a few
 * hundred characters (PhotoDNA hex is 288); anything this long is a binary or wrong file,
 * and refusing it bounds the memory a parser can be made to hold.
 */
export const MAX_LINE_CHARS = 64 * 1024

/** Longest text kept for one XML element or CSV record, for the same reason. */
export const MAX_FIELD_CHARS = 64 * 1024

/**
 * How many top-level JSON tokens a parser holds while looking for the records array (the
 * envelope's header fields come first). Real envelopes have a handful.
 */
export const MAX_JSON_HEADER_TOKENS = 10_000

/** A value quoted in a reject reason or error is cut to this many characters. */
export const MAX_QUOTED_CHARS = 80
