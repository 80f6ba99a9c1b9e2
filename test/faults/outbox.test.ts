import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import { tempDir } from '../helpers/temp-dir.js'
import { createFederation, type TestMember } from '../helpers/federation.js'
import { faultSeed, prng, startNode, until, type NodeProcess } from '../helpers/crash.js'
import { openNodeContext } from '../../src/context/node-context.js'
import { createReportService } from '../../src/reports/report-service.js'

// `npm run test:faults`: 1,000 URL reports from DE to EOKM (NL) while both `hashfed start`
// processes are killed -9 at seeded random moments: while EOKM is offline, while DE takes
// submissions, while reports are being delivered. Every report DE acknowledged must reach
// EOKM exactly once, with one receipt each, and DE's outbox must drain.

const REPORTS = 1000

interface Sent { acked: Set<string>, failed: number }

/** Submits `n` reports to DE's admin API, 16 at a time; stops early when the node dies. */
async function submit (de: NodeProcess, sent: Sent, n: number, onAck?: (acked: number) => void): Promise<void> {
  let claimed = 0
  const worker = async (): Promise<void> => {
    while (claimed < n && de.child.exitCode === null && de.child.signalCode === null) {
      claimed++
      const i = sent.acked.size + sent.failed + 16 + Math.floor(Math.random() * 1e9)
      try {
        const res = await fetch(`${de.adminUrl}/v1/reports`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ url: `https://bulk.example.nl/faults/${i}`, country: 'NL', hoster: `host-${i % 7}` }),
          signal: AbortSignal.timeout(15_000)
        })
        if (res.status !== 201) throw new Error(`HTTP ${res.status}`)
        sent.acked.add((await res.json() as { id: string }).id)
        onAck?.(sent.acked.size)
      } catch {
        // the node died under the request: the report may or may not exist; it is not acknowledged
        sent.failed++
        return
      }
    }
  }
  await Promise.all(Array.from({ length: 16 }, worker))
}

async function outboxDepth (p: NodeProcess): Promise<number> {
  const res = await fetch(`${p.adminUrl}/v1/status`, { signal: AbortSignal.timeout(10_000) })
  return (await res.json() as { store: { outbox: number } }).store.outbox
}

async function inboundCount (p: NodeProcess): Promise<number> {
  const res = await fetch(`${p.adminUrl}/v1/reports/counts`, { signal: AbortSignal.timeout(10_000) })
  return (await res.json() as { inbound: number }).inbound
}

test(`${REPORTS} reports with kill -9 of sender and receiver at seeded points: each acknowledged report delivered exactly once`, { timeout: 30 * 60_000 }, async () => {
  const seed = faultSeed()
  const rng = prng(seed)
  process.stdout.write(`# outbox seed ${seed} (HASHFED_FAULT_SEED=${seed} repeats it)\n`)
  const root = await tempDir()
  const [nlM, deM] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }])
  const sent: Sent = { acked: new Set(), failed: 0 }
  const procs: NodeProcess[] = []
  let faults = 0
  const up = async (m: TestMember): Promise<NodeProcess> => {
    const p = await startNode(m.dir)
    procs.push(p)
    return p
  }
  const log = (line: string): void => { process.stdout.write(`# ${line}\n`) }
  const t0 = Date.now()
  try {
    // 1. EOKM offline: DE takes 400 reports, then is killed in the middle of taking more
    let de = await up(deM)
    await submit(de, sent, 400)
    const killAt = sent.acked.size + rng.int(20, 180)
    await submit(de, sent, 200, (n) => { if (n >= killAt) void de.kill9() })
    await de.kill9()
    faults++
    log(`DE killed while taking submissions at ${sent.acked.size} acknowledged (${sent.failed} requests cut)`)
    de = await up(deM)

    // 2. EOKM comes up and is killed while the backlog is delivered; then DE is, while delivering
    let nl = await up(nlM)
    let delay = rng.int(30, 400)
    await sleep(delay)
    await nl.kill9()
    faults++
    log(`EOKM killed ${delay} ms into the delivery of the backlog; DE outbox left ${await outboxDepth(de)}`)
    nl = await up(nlM)
    delay = rng.int(30, 400)
    await sleep(delay)
    const left = await outboxDepth(de)
    await de.kill9()
    faults++
    log(`DE killed ${delay} ms into delivery, outbox ${left}`)
    de = await up(deM)

    // 3. the rest is submitted while deliveries go on; EOKM is killed once more, then DE
    const rest = REPORTS - sent.acked.size
    const busy = submit(de, sent, rest)
    await sleep(rng.int(50, 500))
    await nl.kill9()
    faults++
    log(`EOKM killed while new reports arrive, at ${sent.acked.size} acknowledged`)
    nl = await up(nlM)
    await busy
    if (sent.acked.size < REPORTS) {
      de = await up(deM)
      await submit(de, sent, REPORTS - sent.acked.size)
    }
    delay = rng.int(0, 300)
    await sleep(delay)
    await de.kill9()
    faults++
    log(`DE killed ${delay} ms after the last submission, outbox not yet drained`)
    de = await up(deM)
    assert.equal(sent.acked.size, REPORTS)

    assert.ok(await until(async () => await outboxDepth(de) === 0 && await inboundCount(nl) >= REPORTS, 180_000, 500), 'DE\'s outbox drains')
    const elapsed = Date.now() - t0
    assert.equal(await de.stop(), 0)
    assert.equal(await nl.stop(), 0)

    // the histories, read from both stores
    const nlCtx = await openNodeContext(nlM.dir)
    const deCtx = await openNodeContext(deM.dir)
    try {
      const nlSvc = createReportService({ ctx: nlCtx, logger: pino({ level: 'silent' }) })
      const deSvc = createReportService({ ctx: deCtx, logger: pino({ level: 'silent' }) })
      const inbound = (await nlSvc.list({ direction: 'inbound', limit: 100_000 })).map(r => r.id)
      const outbound = await deSvc.list({ direction: 'outbound', limit: 100_000 })
      assert.equal(new Set(inbound).size, inbound.length, 'no report stored twice at EOKM')
      assert.deepEqual([...inbound].sort(), outbound.map(r => r.id).sort(), 'EOKM holds exactly the reports DE holds')
      for (const id of sent.acked) assert.ok(inbound.includes(id), `acknowledged report ${id} delivered`)
      assert.ok(outbound.every(r => r.status === 'received'), 'DE holds a receipt for every report')
      assert.equal(await nlCtx.store.count('seen'), inbound.length, 'one receipt given per report')
      assert.equal(await deCtx.store.count('outbox'), 0)
      const lost = [...sent.acked].filter(id => !inbound.includes(id)).length
      process.stdout.write(`# FAULTS outbox: ${REPORTS} acknowledged (+${inbound.length - REPORTS} from cut requests) reports, faults injected ${faults}, records checked ${inbound.length + outbound.length}, delivered twice 0, lost ${lost}, ${elapsed} ms\n`)
    } finally {
      await nlCtx.store.close()
      await deCtx.store.close()
    }
  } finally {
    for (const p of procs) await p.kill9().catch(() => {})
  }
})
