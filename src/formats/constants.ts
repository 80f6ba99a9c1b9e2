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

/**
 * Longest single piece a parser may buffer, even one the format does not read: an XML text
 * node, comment, attribute or name, a JSON string or number. Streaming parsers gather such a
 * piece whole before handing it on, so without this cap one 400 MB value costs 800 MB of memory;
 * with it an import's memory is bounded by its record count. Real files stay far below (their
 * longest values are PhotoDNA hashes, about 600 characters); a file beyond it is refused.
 */
export const MAX_BUFFERED_CHARS = 1024 * 1024

/**
 * Largest JSON record (one VICS Media, one StopNCII hash record), in bytes: a record is built
 * as objects before it is read, at up to ~75 bytes of memory per byte of `[1],[1],…`. Real
 * records are a few hundred bytes to a few KB.
 */
export const MAX_JSON_RECORD_BYTES = 256 * 1024

/** Bytes before the records array in which a JSON envelope's header fields must fit. */
export const MAX_JSON_HEADER_BYTES = 1024 * 1024

/** Deepest nesting of XML elements or JSON containers; real files nest fewer than ten levels. */
export const MAX_NESTING = 64

/** Most attributes on one XML element (NCMEC's carry one or two). */
export const MAX_XML_ATTRIBUTES = 256

/**
 * Input is handed to a streaming parser in pieces of at most this many bytes (characters for
 * XML), and its buffers are checked after each: what it holds beyond a cap is one piece at most.
 */
export const PARSE_PIECE = 64 * 1024
