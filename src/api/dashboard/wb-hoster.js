// Workbench: the hoster report (per hoster or ASN: received, removed, time to removal, still
// open past N days) with its chart, and exports as CSV, JSON and a page to publish.
import { $, h, svg, get, act, fillBody, duration, download } from './wb-common.js'

function query () {
  const d = new FormData($('hoster-form'))
  return { since: d.get('since'), until: d.get('until'), openDays: d.get('openDays'), by: d.get('by'), direction: d.get('direction') }
}

export async function showHosterReport () {
  const r = JSON.parse(await get('/v1/reports/hoster-report', { ...query(), format: 'json' }, true))
  $('hoster-period').textContent = `${r.since !== null ? r.since.slice(0, 10) : 'first report'} to ${r.until.slice(0, 10)} · ${r.totals.received} reports, ${r.totals.removed} removed, ${r.totals.openPastDays} open past ${r.openDays} days`
  $('hoster-key').textContent = r.by === 'hoster' ? 'Hoster' : 'ASN'
  $('hoster-also').textContent = r.by === 'hoster' ? 'ASN' : 'Hosters'
  $('hoster-open-h').textContent = `Open past ${r.openDays} d`
  fillBody($('hoster-table'), r.rows.map(x => h('tr', { 'data-hoster': x.key },
    h('th', { scope: 'row' }, x.key), h('td', {}, x.also.join(', ')),
    h('td', { class: 'num' }, x.received), h('td', { class: 'num' }, x.removed), h('td', { class: 'num' }, x.notIllegal), h('td', { class: 'num' }, x.open),
    h('td', { class: x.openPastDays > 0 ? 'num bad' : 'num' }, x.openPastDays),
    h('td', { class: 'num' }, duration(x.medianRemovalMs)), h('td', { class: 'num' }, duration(x.p90RemovalMs)))), 'No reports in this period.')
  chart(r)
}

/** Bars per hoster: median and p90 time to removal on one scale; reports open too long beside them. */
function chart (r) {
  const el = $('hoster-chart')
  const rows = r.rows.slice(0, 25)
  const width = Math.max(560, Math.round(el.parentElement.clientWidth))
  const left = Math.min(220, Math.round(width * 0.28))
  const openW = 150
  const plot = width - left - openW - 60
  const rowH = 38
  const height = 28 + Math.max(1, rows.length) * rowH
  const max = Math.max(1, ...rows.map(x => x.p90RemovalMs ?? x.medianRemovalMs ?? 0))
  const maxOpen = Math.max(1, ...rows.map(x => x.openPastDays))
  const nodes = [svg('title', { id: 'hoster-chart-title' }, 'Time to removal and reports still open, per hoster'),
    svg('desc', { id: 'hoster-chart-desc' }, rows.map(x => `${x.key}: median ${duration(x.medianRemovalMs)}, p90 ${duration(x.p90RemovalMs)}, ${x.openPastDays} open past ${r.openDays} days`).join('; ') || 'No reports.'),
    svg('text', { x: left, y: 14, class: 'chart-tick' }, `time to removal (scale to ${duration(max)})`),
    svg('text', { x: width - openW, y: 14, class: 'chart-tick' }, `open past ${r.openDays} d`)]
  rows.forEach((x, i) => {
    const y = 22 + i * rowH
    nodes.push(svg('text', { x: left - 10, y: y + 18, class: 'chart-label', 'text-anchor': 'end' }, x.key.length > 28 ? x.key.slice(0, 27) + '…' : x.key))
    if (x.medianRemovalMs !== null) {
      nodes.push(svg('rect', { x: left, y: y + 4, width: Math.max(2, (x.medianRemovalMs / max) * plot), height: 14, rx: 3, class: 'bar-median' }))
      nodes.push(svg('rect', { x: left, y: y + 21, width: Math.max(2, ((x.p90RemovalMs ?? x.medianRemovalMs) / max) * plot), height: 8, rx: 3, class: 'bar-p90' }))
      nodes.push(svg('text', { x: left + Math.max(2, (x.medianRemovalMs / max) * plot) + 6, y: y + 16, class: 'chart-value' }, duration(x.medianRemovalMs)))
    } else {
      nodes.push(svg('text', { x: left + 4, y: y + 16, class: 'chart-sub' }, 'none removed'))
    }
    const w = (x.openPastDays / maxOpen) * (openW - 40)
    if (x.openPastDays > 0) nodes.push(svg('rect', { x: width - openW, y: y + 4, width: Math.max(2, w), height: 14, rx: 3, class: 'bar-open' }))
    nodes.push(svg('text', { x: width - openW + Math.max(2, w) + 6, y: y + 16, class: 'chart-value' }, String(x.openPastDays)))
  })
  el.setAttribute('viewBox', `0 0 ${width} ${height}`)
  el.setAttribute('height', String(height))
  el.replaceChildren(...nodes)
}

const TYPES = { csv: 'text/csv', json: 'application/json', html: 'text/html' }

export function wireHosterReport () {
  $('hoster-export').addEventListener('submit', (e) => { e.preventDefault() })
  $('hoster-form').addEventListener('submit', async (e) => {
    e.preventDefault()
    await act(e.submitter ?? $('hoster-form').querySelector('button'), showHosterReport)
  })
  for (const format of Object.keys(TYPES)) {
    $(`hoster-export-${format}`).addEventListener('click', async (e) => {
      const title = $('hoster-title').value.trim()
      const text = await act(e.currentTarget, async () => await get('/v1/reports/hoster-report', { ...query(), title, format }, true), `Hoster report saved as ${format.toUpperCase()}.`)
      if (text !== undefined) download(`hoster-report-${new Date().toISOString().slice(0, 10)}.${format}`, TYPES[format], text)
    })
  }
}
