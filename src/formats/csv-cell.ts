import { stringify } from 'csv-stringify/sync'

/**
 * CSV formula injection. Excel, LibreOffice Calc and Google Sheets evaluate a cell that
 * starts with `=`, `+`, `-` or `@` (and, since they strip it first, TAB or CR followed by one)
 * as a formula: a source such as `=cmd|' /C calc'!A0` in an export runs a command on the
 * analyst's machine that opens it. Following OWASP, every cell we write that starts so gets a
 * single quote in front: spreadsheets show the cell as text (and hide the quote).
 *
 * So that import -> export -> import stays exact, the quote is counted: a cell of quotes
 * followed by one of those characters gets one more quote when written and loses one when
 * read (`=x` -> `'=x` -> `=x`, `'=x` -> `''=x` -> `'=x`). A cell starting with a quote
 * followed by anything else (`'abc`) is written and read unchanged. Hash values (hex, and
 * PhotoDNA base64 where a writer makes sure it does not start with `+`) never start so, so they
 * are never quoted.
 */
const FORMULA_START = /^'*[=+\-@\t\r]/
const QUOTED_FORMULA = /^'+[=+\-@\t\r]/

/** A cell as written: quoted when a spreadsheet would run it. */
export function neutraliseCell (text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text
}

/** A cell as read: the quote `neutraliseCell` added, removed. */
export function restoreCell (text: string): string {
  return QUOTED_FORMULA.test(text) ? text.slice(1) : text
}

/** Whether a spreadsheet would take `text` as a formula (what `neutraliseCell` prevents). */
export function startsLikeFormula (text: string): boolean {
  return /^[=+\-@\t\r]/.test(text)
}

/** One CSV row (RFC 4180 quoting, with its line ending), every cell neutralised. */
export function csvRow (cells: string[], delimiter = ','): string {
  return stringify([cells.map(neutraliseCell)], { delimiter })
}
