// `npm run bench -- --report`: a self-contained HTML page (no scripts, styles or fonts from
// elsewhere; charts are inline SVG drawn here) with one chart per scenario: each figure of the
// latest run as a bar beside its goal (a tick) and what it is set beside, and the figure's
// history from the results file as a sparkline of earlier runs at the same scale.
//
//   node dist/scripts/bench/report.js [--out bench-results/results.jsonl] [--html bench-results/report.html]
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { Figure } from './bench-kit.js'

/** A figure as results.jsonl keeps it: with its run, scale and machine. */
interface Row extends Figure {
  at: string
  run?: string
  scale: number
  machine?: { cpus?: number, cpu?: string, memGiB?: number, node?: string }
  met?: boolean | null
}

const esc = (s: string): string => s.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
const fmt = (n: number): string => !Number.isFinite(n) ? String(n) : Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : Number(n.toPrecision(3)).toString()

/**
 * Each figure's history key within its run: scenario, name and scale, and the occurrence when a
 * run repeats a name (a small --scale clamps two sizes to the same one).
 */
function historyKeys (run: Row[]): string[] {
  const seen = new Map<string, number>()
  return run.map(r => {
    const base = `${r.scenario}\u0000${r.name}\u0000${r.scale}`
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    return n === 0 ? base : `${base}#${n}`
  })
}

/** A run's key: run.ts's id, or (older lines) the minute the figure was written. */
const runOf = (r: Row): string => r.run ?? r.at.slice(0, 16)

export function readResults (file: string): Row[] {
  let text = ''
  try { text = readFileSync(file, 'utf8') } catch { return [] }
  const rows: Row[] = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    let parsed: Record<string, unknown>
    try { parsed = JSON.parse(line) as Record<string, unknown> } catch { continue } // a line cut by an interrupted run
    if (typeof parsed.name === 'string' && typeof parsed.value === 'number') rows.push(parsed as unknown as Row)
    else rows.push(...flattenRecord(parsed))
  }
  return rows
}

/**
 * match.ts writes one record per run with its parts' figures nested (`exact`, `near`, …):
 * each numeric field becomes a figure without goal, named `part: field`.
 */
function flattenRecord (rec: Record<string, unknown>): Row[] {
  const at = String(rec.at ?? rec.date ?? '')
  if (typeof rec.scenario !== 'string' || at === '') return []
  const rows: Row[] = []
  for (const [part, v] of Object.entries(rec)) {
    if (v === null || typeof v !== 'object') continue
    for (const [field, x] of Object.entries(v as Record<string, unknown>)) {
      if (typeof x === 'number' && Number.isFinite(x)) rows.push({ at, ...(typeof rec.run === 'string' ? { run: rec.run } : {}), scale: Number(rec.scale ?? 1), scenario: rec.scenario, name: `${part}: ${field}`, value: x, unit: '' })
    }
  }
  return rows
}

/** Sparkline of a figure's values over runs (oldest left), the last point this run's. */
function sparkline (values: number[], goal: number | undefined, w = 160, h = 28): string {
  if (values.length < 2) return `<svg width="${w}" height="${h}" role="img" aria-label="no history"><text x="2" y="${h / 2 + 4}" font-size="10" fill="#888">no earlier runs</text></svg>`
  const all = goal !== undefined ? [...values, goal] : values
  const lo = Math.min(...all)
  const hi = Math.max(...all)
  const y = (v: number): number => hi === lo ? h / 2 : h - 3 - (v - lo) / (hi - lo) * (h - 6)
  const x = (i: number): number => 3 + i * (w - 6) / (values.length - 1)
  const pts = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')
  const goalLine = goal !== undefined ? `<line x1="0" x2="${w}" y1="${y(goal).toFixed(1)}" y2="${y(goal).toFixed(1)}" stroke="#c60" stroke-dasharray="3 2" stroke-width="1"/>` : ''
  const last = values.length - 1
  return `<svg width="${w}" height="${h}" role="img" aria-label="history of ${values.length} runs">${goalLine}<polyline points="${pts}" fill="none" stroke="#36c" stroke-width="1.5"/><circle cx="${x(last).toFixed(1)}" cy="${y(values[last]).toFixed(1)}" r="2.5" fill="#36c"/><title>${values.map(fmt).join(', ')}</title></svg>`
}

/** One scenario's chart: a row per figure, bar = this run, tick = goal, bars of a row share one scale. */
function scenarioChart (rows: Row[], history: Map<string, number[]>): string {
  const keys = historyKeys(rows)
  const barW = 320
  const rowH = 34
  const labelW = 430
  const sparkW = 170
  const height = rows.length * rowH + 8
  const parts: string[] = []
  rows.forEach((r, i) => {
    const y = 4 + i * rowH
    const past = history.get(keys[i]) ?? [r.value]
    // a row's scale holds this run, the goal and the history: without a goal the bar reads against earlier runs
    const max = Math.max(r.value, r.goal ?? 0, ...past.filter(Number.isFinite)) * 1.15 || 1
    const len = Math.max(1, Math.min(barW, r.value / max * barW))
    const colour = r.met === true ? '#3a3' : r.met === false ? '#d33' : '#69c'
    parts.push(`<text x="0" y="${y + 14}" font-size="12">${esc(r.name.length > 70 ? r.name.slice(0, 68) + '…' : r.name)}<title>${esc(r.name)}${r.beside !== undefined ? ' — beside: ' + esc(r.beside) : ''}</title></text>`)
    if (r.beside !== undefined) parts.push(`<text x="0" y="${y + 27}" font-size="10" fill="#666">${esc(r.beside.length > 85 ? r.beside.slice(0, 83) + '…' : r.beside)}</text>`)
    parts.push(`<rect x="${labelW}" y="${y + 4}" width="${len.toFixed(1)}" height="14" fill="${colour}"/>`)
    parts.push(`<text x="${labelW + len + 4}" y="${y + 15}" font-size="11">${esc(`${fmt(r.value)} ${r.unit}`)}</text>`)
    if (r.goal !== undefined) {
      const gx = labelW + r.goal / max * barW
      parts.push(`<line x1="${gx.toFixed(1)}" x2="${gx.toFixed(1)}" y1="${y}" y2="${y + 22}" stroke="#c60" stroke-width="2"/><text x="${gx.toFixed(1)}" y="${y + 31}" font-size="9" fill="#c60" text-anchor="middle">goal ${r.better === 'lower' ? '≤' : '≥'} ${esc(fmt(r.goal))}</text>`)
    }
    if (past.length > 1) {
      const px = labelW + Math.min(barW, past[past.length - 2] / max * barW)
      parts.push(`<line x1="${px.toFixed(1)}" x2="${px.toFixed(1)}" y1="${y + 2}" y2="${y + 20}" stroke="#555" stroke-width="1.5"><title>previous run: ${esc(fmt(past[past.length - 2]))}</title></line>`)
    }
    const spark = sparkline(past, r.goal)
    parts.push(`<g transform="translate(${labelW + barW + 80},${y})">${spark.replace('<svg ', '<svg x="0" y="0" ')}</g>`)
  })
  const width = labelW + barW + 80 + sparkW
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">${parts.join('')}</svg>`
}

export function renderReport (rows: Row[]): string {
  const runs = [...new Set(rows.map(runOf))]
  const latestByScenario = new Map<string, Row[]>()
  // per scenario, the newest run that measured it (a run with --only leaves others as they were)
  for (const scenario of new Set(rows.map(r => r.scenario))) {
    const mine = rows.filter(r => r.scenario === scenario)
    const last = runOf(mine[mine.length - 1])
    latestByScenario.set(scenario, mine.filter(r => runOf(r) === last))
  }
  const history = new Map<string, number[]>()
  for (const run of runs) {
    const mine = rows.filter(x => runOf(x) === run)
    historyKeys(mine).forEach((key, i) => history.set(key, [...(history.get(key) ?? []), mine[i].value]))
  }
  const sections = [...latestByScenario.entries()].map(([scenario, rs]) => {
    const m = rs[0].machine
    const met = rs.filter(r => r.met === true).length
    const missed = rs.filter(r => r.met === false).length
    return `<section><h2>${esc(scenario)}</h2><p class="meta">run ${esc(runOf(rs[0]))}, scale ${rs[0].scale}; ${m !== undefined ? esc(`${m.cpus ?? '?'} × ${m.cpu ?? '?'}, ${m.memGiB ?? '?'} GiB, Node ${m.node ?? '?'}`) : ''}; goals met ${met}, missed ${missed}</p>${scenarioChart(rs, history)}</section>`
  })
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hashfed benchmark report</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1100px}h2{margin:1.6em 0 .2em;font-size:1.15em}.meta{color:#555;font-size:.85em;margin:.2em 0 .6em}.key span{display:inline-block;margin-right:1.5em}.sw{display:inline-block;width:12px;height:12px;vertical-align:middle;margin-right:4px}</style>
</head><body>
<h1>hashfed benchmark report</h1>
<p>Generated ${esc(new Date().toISOString())} from ${rows.length} figures over ${runs.length} runs. Each chart is one scenario of its newest run; hover a name for its full text and what it is set beside, a sparkline for the values of earlier runs at the same scale.</p>
<p class="key"><span><i class="sw" style="background:#3a3"></i>goal met</span><span><i class="sw" style="background:#d33"></i>goal missed</span><span><i class="sw" style="background:#69c"></i>no goal (a limit, yardstick or context)</span><span><i class="sw" style="background:#c60;height:3px"></i>goal</span><span><i class="sw" style="background:#555;width:3px"></i>previous run</span><span><i class="sw" style="background:#36c;height:3px"></i>history</span></p>
${sections.join('\n')}
</body></html>
`
}

export function writeReport (results: string, html: string): void {
  mkdirSync(dirname(html), { recursive: true })
  writeFileSync(html, renderReport(readResults(results)))
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string', default: 'bench-results/results.jsonl' }, html: { type: 'string', default: 'bench-results/report.html' } } })
  writeReport(String(values.out), String(values.html))
  console.log(`report written to ${values.html}`)
}
