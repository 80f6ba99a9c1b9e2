import { hfError, ErrorCodes } from '../errors.js'
import { FORMAT_NAMES, type FormatName, type HashListFormat } from './format.js'

/**
 * Each format's module, loaded when it is asked for: the registry (registry.ts) loads all of
 * them, CSV and JSON parsers and the XML one included, which cost a one-shot `hashes import`
 * of a `lines` file ~50 ms of start-up it never uses.
 */
const LOADERS: Record<FormatName, () => Promise<HashListFormat>> = {
  lines: async () => (await import('./lines.js')).linesFormat,
  csv: async () => (await import('./csv.js')).csvFormat,
  'ncmec-xml': async () => (await import('./ncmec-xml.js')).ncmecXmlFormat,
  'vics-json': async () => (await import('./vics-json.js')).vicsJsonFormat,
  'icse-csv': async () => (await import('./icse-csv.js')).icseCsvFormat,
  'hma-csv': async () => (await import('./hma-csv.js')).hmaCsvFormat,
  'stopncii-json': async () => (await import('./stopncii-json.js')).stopnciiJsonFormat,
  'vpdq-text': async () => (await import('./vpdq-formats.js')).vpdqTextFormat,
  'pytx-vpdq': async () => (await import('./vpdq-formats.js')).pytxVpdqFormat
}

/**
 * The loader of the format named `name` (as given to `--format`): an unknown name throws here,
 * at once (HF_INVALID_ARGUMENT listing the valid names).
 */
export function formatLoader (name: string): () => Promise<HashListFormat> {
  if (!Object.hasOwn(LOADERS, name)) {
    throw hfError(ErrorCodes.INVALID_ARGUMENT, `unknown format "${name}": expected one of ${FORMAT_NAMES.join(', ')}`, { format: name, valid: [...FORMAT_NAMES] })
  }
  return LOADERS[name as FormatName]
}
