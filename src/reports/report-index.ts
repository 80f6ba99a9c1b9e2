import { u64 } from '../log/uint64.js'
import type { hashfed } from '../proto/index.js'
import { REPORT_STATUSES, type ReportStatusName } from './report-status.js'
import type { ReportFact } from './report-stats.js'
import { toReportFact, viewStatus } from './report-view.js'

export type ReportDirection = 'inbound' | 'outbound' | 'unroutable'
export const REPORT_DIRECTIONS: readonly ReportDirection[] = ['inbound', 'outbound', 'unroutable']

/** What listings, counts and statistics need of one report: its anonymous fact, its id and direction. */
export interface IndexRow {
  id: string
  direction: ReportDirection
  status: ReportStatusName
  createdMs: number
  updatedMs: number
  fact: ReportFact
}

export function directionOf (stored: hashfed.v1.StoredReport): ReportDirection {
  return stored.unroutable ? 'unroutable' : stored.inbound ? 'inbound' : 'outbound'
}

export function indexRow (id: string, stored: hashfed.v1.StoredReport): IndexRow {
  const fact = toReportFact(stored)
  return { id, direction: directionOf(stored), status: viewStatus(stored), createdMs: fact.createdMs, updatedMs: u64(stored.updatedMs), fact }
}

type Counts = Record<ReportDirection, Record<ReportStatusName, number>>

/**
 * The reports held, in memory, kept current by every committed write: listings, status counts
 * and statistics read it instead of scanning and decoding the `reports` sublevel (a member
 * that sends thousands of reports must not make every dashboard poll read them all). It is
 * loaded once from the store; writes committed while it loads are applied after the scan,
 * in commit order, so none is lost (the scan reads a snapshot; applying a row twice is
 * harmless). A few hundred bytes per report.
 */
export class ReportIndex {
  private readonly rows = new Map<string, IndexRow>()
  private readonly counts: Counts = zeroCounts()
  private state: 'cold' | 'loading' | 'ready' = 'cold'
  private pending: Array<[string, IndexRow | null]> = []
  private loading: Promise<void> | null = null

  get ready (): boolean { return this.state === 'ready' }

  /** Loads the index from `entries` once; later calls wait for the first. */
  async load (entries: () => AsyncIterable<[string, hashfed.v1.StoredReport]>): Promise<void> {
    this.loading ??= (async () => {
      this.state = 'loading'
      for await (const [id, stored] of entries()) this.set(id, indexRow(id, stored))
      for (const [id, row] of this.pending) this.apply(id, row)
      this.pending = []
      this.state = 'ready'
    })()
    await this.loading
  }

  /** A committed write: the report's new row, or null when it was deleted. */
  apply (id: string, row: IndexRow | null): void {
    if (this.state === 'cold') return
    if (this.state === 'loading') { this.pending.push([id, row]); return }
    if (row === null) this.remove(id)
    else this.set(id, row)
  }

  get size (): number { return this.rows.size }

  /** Reports by direction and status. */
  byDirection (): Counts {
    return Object.fromEntries(REPORT_DIRECTIONS.map(d => [d, { ...this.counts[d] }])) as Counts
  }

  values (): IterableIterator<IndexRow> {
    return this.rows.values()
  }

  private set (id: string, row: IndexRow): void {
    this.remove(id)
    this.rows.set(id, row)
    this.counts[row.direction][row.status]++
  }

  private remove (id: string): void {
    const old = this.rows.get(id)
    if (old === undefined) return
    this.rows.delete(id)
    this.counts[old.direction][old.status]--
  }
}

function zeroCounts (): Counts {
  const zero = (): Record<ReportStatusName, number> => Object.fromEntries(REPORT_STATUSES.map(s => [s, 0])) as Record<ReportStatusName, number>
  return { inbound: zero(), outbound: zero(), unroutable: zero() }
}
