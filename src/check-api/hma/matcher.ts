import type { CheckResult, CheckService } from '../../check/check-service.js'
import type { ClassificationName } from '../../log/entry.js'
import { formatHashValue, type AlgorithmName } from '../../log/hash-value.js'
import { inBank, type Bank, type Banks } from './banks.js'
import type { ContentIdIndex } from './content-id-index.js'
import { distanceString, parseSignal, signalAlgorithm } from './signal-types.js'

/** One bank's match, as HMA lists it, with our `classification` added (HMA clients ignore it). */
export interface HmaMatch {
  bank_content_id: number
  distance: string
  classification: ClassificationName
}

export interface BankedMatch extends HmaMatch {
  /** the bank's name: the origin's member name, or the asked bank that holds it */
  bank: string
}

/**
 * HMA's look-up over our check service: every origin vouching for a matched value is a bank
 * entry with its bank_content_id. The index leaves switched-off origins out (the kill switch),
 * for `raw_lookup` too: a switched-off list is not served, whatever the route.
 */
export class HmaMatcher {
  constructor (private readonly service: CheckService, private readonly banks: Banks, private readonly ids: ContentIdIndex) {}

  /**
   * `banksParam`: HMA's comma-separated `banks`; matches then go under each asked bank that
   * holds them. `hoster`: whose token asked (counted by the false-positive quarantine).
   */
  async lookup (signalType: string, signal: string, banksParam: string | undefined, hoster: string): Promise<BankedMatch[]> {
    return await this.lookupNow(signalType, signal, banksParam, hoster)
  }

  /** `lookup` without a promise when nothing matched (see CheckService.checkNow); throws as `lookup` rejects. */
  lookupNow (signalType: string, signal: string, banksParam: string | undefined, hoster: string): BankedMatch[] | Promise<BankedMatch[]> {
    const algorithm = signalAlgorithm(signalType)
    const value = parseSignal(algorithm, signal)
    return this.lookupValueNow(algorithm, value, formatHashValue(value), banksParam, hoster)
  }

  /** `lookupNow` of a value already validated: its bytes and lower-case hex (the raw_lookup hot path). */
  lookupValueNow (algorithm: AlgorithmName, value: Uint8Array, valueHex: string, banksParam: string | undefined, hoster: string): BankedMatch[] | Promise<BankedMatch[]> {
    const asked: Bank[] | undefined = banksParam === undefined || banksParam === '' ? undefined : this.banks.parseList(banksParam)
    if (asked?.length === 0) return []
    const result = this.service.checkValueNow(algorithm, value, valueHex, { hoster })
    return result instanceof Promise ? result.then(r => this.banked(r, asked)) : this.banked(result, asked)
  }

  private banked (result: CheckResult, asked: Bank[] | undefined): BankedMatch[] {
    const out: BankedMatch[] = []
    for (const m of result.matches) {
      const distance = distanceString(m.algorithm, m.distance)
      for (const o of m.origins) {
        const classification = o.classification ?? m.classification
        const id = this.ids.idOf({ origin: o.peerId, algorithm: m.algorithm, valueHex: m.value })
        if (asked === undefined) {
          out.push({ bank: o.name, bank_content_id: id, distance, classification })
          continue
        }
        for (const b of asked) if (inBank(b, o.peerId, classification)) out.push({ bank: b.name, bank_content_id: id, distance, classification })
      }
    }
    return out
  }

  /** `{ "<bank>": [{bank_content_id, distance, classification}] }`, HMA's `/m/lookup` answer. */
  static byBank (matches: BankedMatch[]): Record<string, HmaMatch[]> {
    const out: Record<string, HmaMatch[]> = {}
    for (const { bank, ...m } of matches) (out[bank] ??= []).push(m)
    return out
  }

  /** Each id once, as `/m/raw_lookup` lists them. */
  static distinct (matches: BankedMatch[]): HmaMatch[] {
    const seen = new Set<number>()
    const out: HmaMatch[] = []
    for (const { bank: _bank, ...m } of matches) {
      if (seen.has(m.bank_content_id)) continue
      seen.add(m.bank_content_id)
      out.push(m)
    }
    return out
  }
}
