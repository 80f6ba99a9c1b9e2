import { hfError, ErrorCodes } from '../errors.js'

/**
 * Origins (hotline peer IDs) as small integers, so a million index entries each carry a
 * 4-byte number instead of a reference to a ~50-character string. Also holds the per-origin
 * kill switch as one byte per origin, read on every result.
 */
export class OriginTable {
  private readonly ids = new Map<string, number>()
  private readonly names: string[] = []
  private enabledFlags = new Uint8Array(16)

  /** The id of `origin`, registering it (enabled) on first sight. */
  idOf (origin: string): number {
    let id = this.ids.get(origin)
    if (id !== undefined) return id
    if (typeof origin !== 'string' || origin.length === 0) {
      throw hfError(ErrorCodes.INVALID_ARGUMENT, 'origin must be a non-empty string')
    }
    id = this.names.length
    this.names.push(origin)
    this.ids.set(origin, id)
    if (id >= this.enabledFlags.length) {
      const grown = new Uint8Array(this.enabledFlags.length * 2)
      grown.set(this.enabledFlags)
      this.enabledFlags = grown
    }
    this.enabledFlags[id] = 1
    return id
  }

  /** The id of `origin` if it was ever seen, without registering it. */
  find (origin: string): number | undefined {
    return this.ids.get(origin)
  }

  name (id: number): string {
    return this.names[id]
  }

  isEnabled (id: number): boolean {
    return this.enabledFlags[id] === 1
  }

  setEnabled (origin: string, enabled: boolean): void {
    this.enabledFlags[this.idOf(origin)] = enabled ? 1 : 0
  }

  /** Origins switched off, in the order they were first seen. */
  disabled (): string[] {
    return this.names.filter((_, id) => this.enabledFlags[id] === 0)
  }

  get size (): number {
    return this.names.length
  }
}
