import { hfError, ErrorCodes, type HashfedError } from '../errors.js'
import type { FormatName } from './format.js'

/**
 * The error for a file that is not the format it claims: names the format and, when known,
 * the line, so the user can open the file there.
 */
export function invalidFormat (format: FormatName, line: number | undefined, message: string, cause?: unknown): HashfedError {
  const where = line === undefined ? '' : ` at line ${line}`
  return hfError(ErrorCodes.INVALID_FORMAT, `not a valid ${format} file${where}: ${message}`, { format, line }, cause)
}
