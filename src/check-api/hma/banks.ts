import { CLASSIFICATIONS, type ClassificationName } from '../../log/entry.js'

/** A bank as HMA names it: an origin (member hotline), optionally only its entries of one classification. */
export interface Bank {
  /** as asked: `EOKM` or `EOKM:baseline` */
  name: string
  /** origin peer ID */
  origin: string
  classification?: ClassificationName
}

/** HMA's bank config; `matching_enabled_ratio` is the kill switch: 1 matched, 0 switched off. */
export interface BankConfig {
  name: string
  matching_enabled_ratio: number
}

export interface BanksInit {
  /** peer IDs of the origins whose logs this node holds */
  origins: () => string[]
  /** member name of an origin (its peer ID when no longer a member) */
  nameOf: (peerId: string) => string
  /** a member name or peer ID to the origin peer ID, or null */
  resolve: (name: string) => string | null
  isEnabled: (peerId: string) => boolean
}

/**
 * Banks are derived, never configured: each origin whose log the node holds is a bank named
 * by its member name, and `<name>:<classification>` is the same bank narrowed to entries of
 * that classification. Bank names are matched as the federation matches member names.
 */
export class Banks {
  constructor (private readonly init: BanksInit) {}

  list (): BankConfig[] {
    const out: BankConfig[] = []
    const origins = this.init.origins().map(o => ({ o, name: this.init.nameOf(o) })).sort((a, b) => a.name.localeCompare(b.name))
    for (const { o, name } of origins) {
      const ratio = this.ratio(o)
      out.push({ name, matching_enabled_ratio: ratio })
      for (const c of CLASSIFICATIONS) out.push({ name: `${name}:${c}`, matching_enabled_ratio: ratio })
    }
    return out
  }

  /** A bank name to the bank, or null when it names no origin held here (or no classification). */
  parse (name: string): Bank | null {
    const colon = name.lastIndexOf(':')
    const classification = colon > 0 ? name.slice(colon + 1) : undefined
    if (classification !== undefined && !(CLASSIFICATIONS as readonly string[]).includes(classification)) return null
    const origin = this.init.resolve(colon > 0 ? name.slice(0, colon) : name)
    if (origin === null || !this.init.origins().includes(origin)) return null
    return classification === undefined ? { name, origin } : { name, origin, classification: classification as ClassificationName }
  }

  /** The banks of HMA's comma-separated `banks` parameter; names of no bank here match nothing, as in HMA. */
  parseList (names: string): Bank[] {
    return names.split(',').map(n => this.parse(n.trim())).filter((b): b is Bank => b !== null)
  }

  config (bank: Bank): BankConfig {
    return { name: bank.name, matching_enabled_ratio: this.ratio(bank.origin) }
  }

  nameOf (origin: string): string {
    return this.init.nameOf(origin)
  }

  private ratio (origin: string): number {
    return this.init.isEnabled(origin) ? 1 : 0
  }
}

/** Whether an entry of `origin` with `classification` is in `bank`. */
export function inBank (bank: Bank, origin: string, classification: ClassificationName): boolean {
  return bank.origin === origin && (bank.classification === undefined || bank.classification === classification)
}
