import type { HosterReport, HosterRow } from './hoster-report.js'

/**
 * The hoster report as one self-contained HTML file to publish: inline style, an inline SVG
 * chart, no script, no external resource (a CSP meta tag says so to the browser too). It
 * holds only hoster names, ASNs and numbers: a report's URL, id or note never reaches it.
 */
export function hosterReportHtml (r: HosterReport): string {
  const period = `${r.since !== null ? day(r.since) : 'the first report'} to ${day(r.until)}`
  const head = r.by === 'hoster' ? ['Hoster', 'ASN'] : ['ASN', 'Hosters']
  const rows = r.rows.map(x => `<tr><th scope="row">${esc(x.key)}</th><td>${esc(x.also.join(', '))}</td><td>${x.received}</td><td>${x.removed}</td><td>${x.notIllegal}</td><td>${x.open}</td><td${x.openPastDays > 0 ? ' class="bad"' : ''}>${x.openPastDays}</td><td>${duration(x.medianRemovalMs)}</td><td>${duration(x.p90RemovalMs)}</td></tr>`).join('\n')
  const t = r.totals
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="referrer" content="no-referrer">
<title>${esc(r.title)}: ${esc(period)}</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #1b1f24; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } .meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; font-variant-numeric: tabular-nums; }
th, td { padding: .35rem .6rem; border-bottom: 1px solid #ddd; text-align: right; } th[scope="row"], thead th:first-child, td:nth-child(2), thead th:nth-child(2) { text-align: left; }
thead th { border-bottom: 2px solid #888; } tfoot th, tfoot td { font-weight: 600; border-top: 2px solid #888; }
.bad { color: #a4000f; font-weight: 600; } svg { max-width: 100%; height: auto; } .chart text { font: 12px system-ui, sans-serif; fill: #1b1f24; }
.median { fill: #2f6fb5; } .p90 { fill: #9dbde3; } .open { fill: #c8553d; } .grid { stroke: #e4e4e4; } .legend span { display: inline-block; width: .8rem; height: .8rem; margin: 0 .3rem 0 1rem; vertical-align: middle; }
</style>
</head>
<body>
<h1>${esc(r.title)}</h1>
<p class="meta">Reports from ${esc(period)} (created at or after the start, before the end), per ${r.by === 'hoster' ? 'hosting company' : 'network (ASN)'}. “Still open” counts reports not removed ${r.openDays} days after they were made. Generated ${esc(r.generatedAt)}.</p>
<figure class="chart">
${chart(r.rows)}
<figcaption class="legend"><span style="background:#2f6fb5"></span>median time to removal<span style="background:#9dbde3"></span>90th percentile<span style="background:#c8553d"></span>still open past ${r.openDays} days</figcaption>
</figure>
<table id="hosters">
<thead><tr><th scope="col">${head[0]}</th><th scope="col">${head[1]}</th><th scope="col">Received</th><th scope="col">Removed</th><th scope="col">Not illegal</th><th scope="col">Open</th><th scope="col">Open past ${r.openDays} days</th><th scope="col">Median to removal</th><th scope="col">90th percentile</th></tr></thead>
<tbody>
${rows === '' ? '<tr><td colspan="9">No reports in this period.</td></tr>' : rows}
</tbody>
<tfoot><tr><th scope="row">All</th><td></td><td>${t.received}</td><td>${t.removed}</td><td>${t.notIllegal}</td><td>${t.open}</td><td>${t.openPastDays}</td><td>${duration(t.medianRemovalMs)}</td><td>${duration(t.p90RemovalMs)}</td></tr></tfoot>
</table>
</body>
</html>
`
}

/** Horizontal bars per row: median and p90 time to removal on one scale, reports open too long beside them. */
function chart (rows: readonly HosterRow[]): string {
  const shown = rows.slice(0, 30)
  const width = 900
  const left = 220
  const plot = 480
  const openLeft = left + plot + 40
  const rowH = 34
  const height = 30 + Math.max(1, shown.length) * rowH
  const max = Math.max(1, ...shown.map(x => x.p90RemovalMs ?? x.medianRemovalMs ?? 0))
  const maxOpen = Math.max(1, ...shown.map(x => x.openPastDays))
  const parts: string[] = [`<svg class="chart" role="img" aria-label="Time to removal and reports still open, per hoster" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">`]
  parts.push(`<text x="${left}" y="14">time to removal (longest: ${esc(duration(max))})</text><text x="${openLeft}" y="14">still open</text>`)
  if (shown.length === 0) parts.push(`<text x="${left}" y="44">No reports in this period.</text>`)
  shown.forEach((x, i) => {
    const y = 24 + i * rowH
    parts.push(`<text x="${left - 8}" y="${y + 17}" text-anchor="end">${esc(truncate(x.key, 30))}</text>`)
    parts.push(`<line class="grid" x1="${left}" x2="${left + plot}" y1="${y + rowH - 2}" y2="${y + rowH - 2}"/>`)
    if (x.medianRemovalMs !== null) {
      parts.push(`<rect class="median" x="${left}" y="${y + 4}" width="${Math.max(2, (x.medianRemovalMs / max) * plot).toFixed(1)}" height="12"><title>median ${esc(duration(x.medianRemovalMs))}</title></rect>`)
      parts.push(`<rect class="p90" x="${left}" y="${y + 18}" width="${Math.max(2, ((x.p90RemovalMs ?? x.medianRemovalMs) / max) * plot).toFixed(1)}" height="7"><title>90th percentile ${esc(duration(x.p90RemovalMs))}</title></rect>`)
    } else {
      parts.push(`<text x="${left + 4}" y="${y + 17}" fill="#777">none removed</text>`)
    }
    const w = (x.openPastDays / maxOpen) * (width - openLeft - 40)
    if (x.openPastDays > 0) parts.push(`<rect class="open" x="${openLeft}" y="${y + 4}" width="${Math.max(2, w).toFixed(1)}" height="14"/>`)
    parts.push(`<text x="${openLeft + Math.max(2, w) + 6}" y="${y + 16}">${x.openPastDays}</text>`)
  })
  parts.push('</svg>')
  return parts.join('\n')
}

const esc = (text: string): string => text.replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string)
const truncate = (text: string, n: number): string => text.length > n ? text.slice(0, n - 1) + '…' : text
const day = (iso: string): string => iso.slice(0, 10)

/** `3 d 4 h`, `12 min`: rounded for a reader, not a machine (the CSV has seconds). */
export function duration (ms: number | null): string {
  if (ms === null) return '–'
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s} s`
  const m = Math.round(s / 60)
  if (m < 60) return `${m} min`
  const h = Math.floor(m / 60)
  if (h < 48) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`
  return `${Math.floor(h / 24)} d ${h % 24} h`
}
