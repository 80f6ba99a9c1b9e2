import { FORMAT_NAMES, type FormatName, type HashListFormat } from './format.js'
import { formatLoader } from './load-format.js'

/**
 * Every hash-list format, in FORMAT_NAMES order, all loaded at once: for the places that walk
 * them all (tests, fuzzing). A command loads only the one it is given (load-format.ts).
 */
export const FORMATS: readonly HashListFormat[] = await Promise.all(FORMAT_NAMES.map(async name => await formatLoader(name)()))

const BY_NAME = new Map<string, HashListFormat>(FORMATS.map(f => [f.name, f]))

/** The format named `name` (as given to `--format`); load-format.ts's HF_INVALID_ARGUMENT listing the valid names otherwise. */
export function getFormat (name: string): HashListFormat {
  formatLoader(name)
  return BY_NAME.get(name) as HashListFormat
}

/** Names of the formats that can be exported. */
export function writableFormats (): FormatName[] {
  return FORMATS.filter(f => f.write !== undefined).map(f => f.name)
}
