// URL report benchmark: two real nodes (EOKM for NL, DE) on loopback in this process. DE signs
// and queues N reports while EOKM is down, then EOKM starts and the outbox drains: submit
// rate, delivery rate (stream, verify, store, receipt, verify), then EOKM records a removal
// for each, signed and carried back to DE.
//
//   node dist/scripts/bench/reports.js [--reports 1000]
//
// Both nodes share one process (and one core's event loop), so the delivery figure is the
// combined cost of sender and receiver; on separate machines each side does about half.
import '../../src/polyfill.js'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createFederation, startMember, waitFor } from '../../test/helpers/federation.js'

const { values } = parseArgs({ options: { reports: { type: 'string', default: '1000' } } })
const n = Number(values.reports)
const root = await mkdtemp(join(tmpdir(), 'hashfed-bench-reports-'))
try {
  const [nlM, deM] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }])
  const de = (await startMember(deM)).node
  let t = performance.now()
  const ids: string[] = []
  for (let i = 0; i < n; i++) ids.push((await de.reports.submit({ url: `https://bench.example.nl/${i}`, country: 'NL', hoster: `host-${i % 10}` })).id)
  const submitMs = performance.now() - t

  const nl = (await startMember(nlM)).node
  t = performance.now()
  if (!await waitFor(() => de.reports.outboxDepth() === 0, 600_000, 2)) throw new Error('outbox did not drain')
  const deliverMs = performance.now() - t

  // EOKM records removals one by one while its outbox carries them back to DE
  t = performance.now()
  for (const id of ids) await nl.reports.update(id, 'removed')
  if (!await waitFor(() => nl.reports.outboxDepth() === 0, 600_000, 2)) throw new Error('status outbox did not drain')
  const statusMs = performance.now() - t
  const stats = await de.reports.stats()
  await Promise.all([de.stop(), nl.stop()])

  const rate = (ms: number): string => `${Math.round(n / (ms / 1000))}/s`
  console.log(`reports                 ${n}`)
  console.log(`submit (sign, store)    ${submitMs.toFixed(0)} ms  ${rate(submitMs)}`)
  console.log(`deliver after restart   ${deliverMs.toFixed(0)} ms  ${rate(deliverMs)}`)
  console.log(`status update + back    ${statusMs.toFixed(0)} ms  ${rate(statusMs)}`)
  console.log(`removed at DE           ${stats.byStatus.removed} (median time to removal ${stats.removal.medianMs} ms)`)
} finally {
  await rm(root, { recursive: true, force: true })
}
