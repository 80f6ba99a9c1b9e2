import { hfError, ErrorCodes } from '../errors.js'
import { csvFormat } from './csv.js'
import { FORMAT_NAMES, type FormatName, type HashListFormat } from './format.js'
import { hmaCsvFormat } from './hma-csv.js'
import { icseCsvFormat } from './icse-csv.js'
import { linesFormat } from './lines.js'
import { ncmecXmlFormat } from './ncmec-xml.js'
import { stopnciiJsonFormat } from './stopncii-json.js'
import { vicsJsonFormat } from './vics-json.js'
import { pytxVpdqFormat, vpdqTextFormat } from './vpdq-formats.js'

/** Every hash-list format, in FORMAT_NAMES order. */
export const FORMATS: readonly HashListFormat[] = [
  linesFormat, csvFormat, ncmecXmlFormat, vicsJsonFormat, icseCsvFormat, hmaCsvFormat, stopnciiJsonFormat, vpdqTextFormat, pytxVpdqFormat
]

const BY_NAME = new Map<string, HashListFormat>(FORMATS.map(f => [f.name, f]))

/** The format named `name` (as given to `--format`); HF_INVALID_ARGUMENT listing the valid names otherwise. */
export function getFormat (name: string): HashListFormat {
  const format = BY_NAME.get(name)
  if (format === undefined) {
    throw hfError(ErrorCodes.INVALID_ARGUMENT, `unknown format "${name}": expected one of ${FORMAT_NAMES.join(', ')}`, { format: name, valid: [...FORMAT_NAMES] })
  }
  return format
}

/** Names of the formats that can be exported. */
export function writableFormats (): FormatName[] {
  return FORMATS.filter(f => f.write !== undefined).map(f => f.name)
}
