import type { ImageHashPool } from '../../hashing/image-hash-pool.js'
import type { AlgorithmName } from '../../log/hash-value.js'
import type { HashLog } from '../../log/hash-log.js'
import type { Banks } from './banks.js'
import type { ContentIdIndex } from './content-id-index.js'
import type { HmaMatcher } from './matcher.js'

/** What the HMA routes answer from; the check server builds it. */
export interface HmaContext {
  matcher: HmaMatcher
  banks: Banks
  ids: ContentIdIndex
  images: ImageHashPool
  hashLog: Pick<HashLog, 'show'>
  /** near-match thresholds, for /m/compare */
  thresholds: { pdq: number, blockhash: number }
  /** distinct values held per algorithm */
  indexSize: (algorithm: AlgorithmName) => number
  /** unix seconds the index last changed (or was loaded) */
  builtTo: () => number
  /** true once the server is closing: /status answers 503 */
  closing: () => boolean
}
