import { InvalidArgumentError } from 'commander'
import { parseCountry } from '../config/country.js'

/** `--dir` with the HASHFED_DIR fallback, shared by every command that works on a node folder. */
export const DIR_OPTION = ['--dir <dir>', 'node folder (default: $HASHFED_DIR or ./hashfed-node)'] as const

export function resolveDir (dir: string | undefined): string {
  return dir ?? process.env.HASHFED_DIR ?? './hashfed-node'
}

export function countriesArg (value: string, previous: string[] = []): string[] {
  try {
    return [...previous, ...value.split(',').filter(s => s.trim() !== '').map(c => parseCountry(c))]
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message)
  }
}

export function collect (value: string, previous: string[] = []): string[] {
  return [...previous, value]
}

export function portArg (value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number 0-65535')
  return n
}
