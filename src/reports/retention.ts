import type { Logger } from 'pino'
import { u64 } from '../log/uint64.js'
import { peerIdFromBytes } from '../identity/identity.js'
import type { BatchOp, Store } from '../store/store.js'
import { seenKey } from '../store/layout.js'
import { DAY_MS, RETENTION_INTERVAL_MS } from './constants.js'
import { bodyHash, hex } from '../courier/signed-record.js'
import type { ReportStore, StoredReport } from './report-store.js'
import { closedBefore } from './report-index.js'

/** Reports retired at once (each under its own lock). */
const RETENTION_PARALLEL = 64
import { CLOSED_STATUSES } from './report-status.js'
import { archiveKey, mergeBucket, type ArchiveBucket } from './report-stats.js'
import { decodeStoredReport, decodeTimeline, toReportFact, viewStatus } from './report-view.js'

export interface RetentionInit {
  store: Store
  reports: ReportStore
  logger: Logger
  /** closed reports are deleted this long after their last change (config `reports.retentionDays`) */
  retentionDays: number
  /** @default RETENTION_INTERVAL_MS (6 h) */
  intervalMs?: number
}

/**
 * Deletes closed reports (removed, not illegal, unreachable) once they have been closed for
 * `retentionDays`, with the receipts kept for their messages. Each deletion folds the
 * report's anonymous fact (day, status, country, hoster, ASN, time to removal) into a count
 * in `stats`, and moves it from held to retained in its day bucket of the report index, in
 * the same atomic batch, so statistics survive and nothing is counted twice. Candidates come
 * from the index of closed reports by last change, not from a scan of the reports.
 */
export class Retention {
  private timer: NodeJS.Timeout | null = null
  private running: Promise<number> | null = null

  constructor (private readonly init: RetentionInit) {}

  start (): void {
    const tick = (): void => { void this.run().catch((err: unknown) => this.init.logger.error({ err }, 'report retention failed')) }
    tick()
    this.timer = setInterval(tick, this.init.intervalMs ?? RETENTION_INTERVAL_MS)
    this.timer.unref()
  }

  async stop (): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer)
    await this.running?.catch(() => {})
  }

  /** Deletes what is due at `now`; returns how many reports were deleted. One run at a time. */
  async run (now = Date.now()): Promise<number> {
    this.running ??= this.sweep(now).finally(() => { this.running = null })
    return await this.running
  }

  private due (stored: StoredReport, cutoff: number): boolean {
    const updated = u64(stored.updatedMs)
    return CLOSED_STATUSES.has(viewStatus(stored)) && updated > 0 && updated < cutoff
  }

  /** Deletes one report if it is (still) due, folding its fact into the archive counts. */
  private async retire (id: string, cutoff: number): Promise<boolean> {
    const { reports, store } = this.init
    return await reports.locks.run(id, async () => {
      const stored = await reports.get(id) // it may have changed since the index was read
      if (stored === undefined || !this.due(stored, cutoff)) return false
      const fact = toReportFact(stored)
      const key = archiveKey(fact)
      // reports retired together may share a count row: one read-change-write at a time
      return await reports.locks.run(`stats!${key}`, async () => {
        const raw = await store.sub.stats.get(key)
        const bucket = mergeBucket(raw === undefined ? undefined : JSON.parse(Buffer.from(raw).toString('utf8')) as ArchiveBucket, fact)
        await reports.write([
          reports.del(id, { archive: true }),
          ...seenKeys(stored).map(k => ({ type: 'del' as const, sublevel: store.sub.seen, key: k })),
          { type: 'put', sublevel: store.sub.stats, key, value: Buffer.from(JSON.stringify(bucket), 'utf8') }
        ])
        return true
      })
    })
  }

  private async sweep (now: number): Promise<number> {
    const cutoff = now - this.init.retentionDays * DAY_MS
    const { reports, store } = this.init
    let deleted = 0
    await reports.ready()
    // the closed reports by time of their last change: only those due are read
    const ids: string[] = []
    for await (const id of closedBefore(store, cutoff)) ids.push(id)
    // a few dozen at a time: their reads overlap and their writes share LevelDB batches
    for (let i = 0; i < ids.length; i += RETENTION_PARALLEL) {
      const done = await Promise.all(ids.slice(i, i + RETENTION_PARALLEL).map(async id => await this.retire(id, cutoff)))
      deleted += done.filter(Boolean).length
    }
    if (deleted > 0) this.init.logger.info({ deleted, retentionDays: this.init.retentionDays }, 'deleted closed reports past retention (counts kept)')
    return deleted
  }
}

/** The `seen` rows of the receipts we gave for this report and its updates. */
function seenKeys (stored: StoredReport): string[] {
  const keys: string[] = []
  const add = (author: Uint8Array, signed: StoredReport['timeline'][number]): void => {
    try { keys.push(seenKey(peerIdFromBytes(author).toString(), hex(bodyHash(signed)))) } catch {}
  }
  if (stored.report != null) add(decodeStoredReport(stored).origin, stored.report)
  const updates = decodeTimeline(stored)
  stored.timeline.forEach((signed, i) => add(updates[i].author, signed))
  return keys
}
