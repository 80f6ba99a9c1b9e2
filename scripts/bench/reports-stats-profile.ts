// Profiling aid for `reports stats`: builds a year once in --dir (kept), then times stats calls.
//   node --expose-gc dist/scripts/bench/reports-stats-profile.js --dir /tmp/year [--count 300000]
import '../../src/polyfill.js'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { createFederation } from '../../test/helpers/federation.js'
import { setReportsConfig } from '../../test/helpers/reports.js'
import { generateYear } from '../../test/helpers/report-year.js'
import { openNodeContext } from '../../src/context/node-context.js'
import { nodeDir } from '../../src/config/node-dir.js'
import { loadKeyFile } from '../../src/identity/key-file.js'
import { createReportService } from '../../src/reports/report-service.js'
import { median } from './bench-kit.js'

const { values } = parseArgs({ options: { dir: { type: 'string' }, count: { type: 'string', default: '300000' }, runs: { type: 'string', default: '15' } } })
const root = values.dir as string
const nlDir = join(root, 'EOKM')
if (!existsSync(nlDir)) {
  const [nl, ...foreign] = await createFederation(root, [
    { name: 'EOKM', countries: ['NL', 'BQ', 'CW', 'AW'] }, { name: 'DE', countries: ['DE'] }, { name: 'GB', countries: ['GB'] }, { name: 'BE', countries: ['BE'] }
  ])
  await setReportsConfig(nl, { retentionDays: 30 })
  const origins = await Promise.all(foreign.map(async m => (await loadKeyFile(nodeDir(m.dir).key)).peerIdBytes))
  const ctx = await openNodeContext(nl.dir)
  const svc = createReportService({ ctx, logger: pino({ level: 'silent' }) })
  await generateYear({ reports: svc.reports, self: ctx.identity.peerIdBytes, origins, count: Number(values.count), hosters: 2000, endMs: Date.now(), seed: 1, lastOnly: true, chunk: 1000 })
  await ctx.store.close()
  console.log('generated', nl.dir)
}
const ctx = await openNodeContext(nlDir)
const svc = createReportService({ ctx, logger: pino({ level: 'silent' }) })
await svc.reports.ready()
for (const since of (process.env.SINCE ?? '30d,365d').split(',')) {
  for (const by of (process.env.BY ?? 'hoster,asn,country').split(',')) {
    const ms: number[] = []
    await svc.stats({ by, since }) // warm: first-use caches
    globalThis.gc?.() // what the load and the warm call left is not this query's
    const c = process.cpuUsage()
    for (let i = 0; i < Number(values.runs); i++) { const t = performance.now(); await svc.stats({ by, since }); ms.push(performance.now() - t) }
    const cu = process.cpuUsage(c)
    console.log(`stats --by ${by} --since ${since}: p50 ${median(ms).toFixed(1)} ms, cpu/call ${((cu.user + cu.system) / 1000 / ms.length).toFixed(1)} ms`)
  }
}
await ctx.store.close()
