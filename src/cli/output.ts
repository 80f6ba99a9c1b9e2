/**
 * Everything the CLI prints goes through here. Much of it is text other parties wrote: a
 * member's report URL, hoster and note, an origin's hash sources, a hoster's dispute reason,
 * file names from a seized folder. Written raw to a terminal, an ESC or BEL in such text is a
 * command to the terminal (clear the screen, retitle the window, plant a hyperlink, write the
 * clipboard with OSC 52), a CR overwrites what the line said, and a bidi override reorders it.
 * So every control character is shown as a visible escape (`\x1b`, `\u202e`) instead:
 * C0 and DEL, C1 (U+0080-U+009F, which some terminals obey as 8-bit CSI/OSC), the bidi
 * controls, and the Unicode line and paragraph separators.
 */

/** Characters never written raw: C0, DEL, C1, bidi controls (ALM, LRM, RLM, LRE..RLO, LRI..PDI), LS and PS. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g
/** The same but for the newline: what our own line structure is allowed to keep. */
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g
/** What JSON.stringify leaves raw among those (it escapes U+0000-U+001F itself). */
const JSON_RAW_CONTROL = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g

function escapeControl (c: string): string {
  const code = c.charCodeAt(0)
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
}

/** `text` with every control character (newlines too) shown as an escape: for a value on one line. */
export function safeText (text: string): string {
  return text.replace(CONTROL, escapeControl)
}

/**
 * Template tag for a line of output: every interpolated value is passed through `safeText`
 * (so a newline in a remote note cannot fake another line); the literal text is ours.
 */
export function safe (literals: TemplateStringsArray, ...values: unknown[]): string {
  let out = literals[0]
  for (let i = 0; i < values.length; i++) out += safeText(String(values[i])) + literals[i + 1]
  return out
}

/**
 * Writes text to stdout. Our own newlines stay; any other control character is escaped, so a
 * value that reached the text without `line`/`table` still cannot drive the terminal.
 */
export function print (text: string): void {
  process.stdout.write(text.replace(CONTROL_BUT_NEWLINE, escapeControl))
}

/** `print` for stderr (per-file errors while hashing, warnings). */
export function printError (text: string): void {
  process.stderr.write(text.replace(CONTROL_BUT_NEWLINE, escapeControl))
}

/** Prints rows as an aligned text table (the default) — `--json` prints the data instead. */
export function table (rows: Array<Record<string, unknown>>, columns?: string[]): string {
  if (rows.length === 0) return '(none)'
  const cols = columns ?? Object.keys(rows[0])
  const cells = rows.map(r => cols.map(c => safeText(cellText(r[c]))))
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map(row => row[i].length)))
  const toLine = (vals: string[]): string => vals.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd()
  return [toLine(cols.map(c => safeText(c.toUpperCase()))), ...cells.map(toLine)].join('\n')
}

function cellText (v: unknown): string {
  if (v === null || v === undefined) return '-'
  if (Array.isArray(v)) return v.join(',')
  if (typeof v === 'boolean') return v ? 'yes' : 'no'
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}

/**
 * Prints data as JSON. JSON.stringify escapes U+0000-U+001F itself; DEL, C1, the bidi
 * controls and LS/PS are escaped here as `\u00XX`, which any JSON reader turns back into the
 * same string: the output is still exact, valid JSON.
 */
export function printJson (data: unknown): void {
  const text = String(JSON.stringify(data, null, 2)).replace(JSON_RAW_CONTROL, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  process.stdout.write(text + '\n')
}

export function shortPeerId (id: string): string {
  return id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-6)}` : id
}

/** An ISO 8601 time to the second with its zone (UTC, `Z`): what every table shows. */
export function isoSeconds (iso: string): string {
  const ms = Date.parse(iso)
  return Number.isNaN(ms) ? iso : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}
