// hashfed dashboard: polls the node's admin API and renders it. Plain DOM, no framework, no
// build step. Every value from the API goes into the page as text (textContent / SVG text
// nodes), never as markup: report fields come from other hotlines.

import { duration } from './wb-common.js'

const POLL_MS = 2000
const TOKEN_KEY = 'hashfed.adminToken'
const SVG_NS = 'http://www.w3.org/2000/svg'
const RECENT_REPORTS = 25
const STATUS_ORDER = ['queued', 'unroutable', 'received', 'assessed', 'notice-sent', 'removed', 'not-illegal', 'unreachable']
const OPEN = new Set(['received', 'assessed', 'notice-sent'])
const DIRECTIONS = [
  ['outbound', 'Outbound (we reported, another hotline handles)'],
  ['inbound', 'Inbound (our country, we handle)'],
  ['unroutable', 'Unroutable (no member covers the country)']
]

class Unauthorized extends Error {}

const $ = (id) => document.getElementById(id)

/** `h('td', { class: 'num', title: '…' }, 'text', childNode)`: children are text or nodes. */
function h (tag, attrs = {}, ...children) {
  const node = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue
    if (k === 'class') node.className = v
    else node.setAttribute(k, v === true ? '' : String(v))
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue
    node.append(c instanceof Node ? c : document.createTextNode(String(c)))
  }
  return node
}

function svg (tag, attrs = {}, text) {
  const node = document.createElementNS(SVG_NS, tag)
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v))
  if (text !== undefined) node.textContent = text
  return node
}

// ------------------------------------------------------------------ formatting

const shortPeer = (id) => typeof id === 'string' && id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-6)}` : (id ?? '')
const number = (n) => typeof n === 'number' ? n.toLocaleString('en-GB') : '–'

function ago (iso) {
  if (iso === null || iso === undefined) return 'never'
  const ms = Date.now() - Date.parse(iso)
  if (Number.isNaN(ms)) return '–'
  if (ms < 5000) return 'just now'
  return `${duration(ms).replace(/ \d+ (s|min)$/, '')} ago`
}

function time (iso) {
  if (iso === null || iso === undefined) return h('span', { class: 'dim' }, '–')
  return h('time', { datetime: iso, title: new Date(iso).toLocaleString() }, ago(iso))
}

function hostOf (url) {
  try { return new URL(url).host } catch { return '(not a URL)' }
}

const clockTime = () => new Date().toLocaleTimeString('en-GB')

// ------------------------------------------------------------------ API

function token () {
  return sessionStorage.getItem(TOKEN_KEY) ?? ''
}

async function api (path) {
  const t = token()
  // x-hashfed-request: the admin API refuses changes without it (a header no other site's page can send)
  const headers = { 'x-hashfed-request': '1', ...(t === '' ? {} : { authorization: `Bearer ${t}` }) }
  const res = await fetch(path, { headers, cache: 'no-store' })
  if (res.status === 401) throw new Unauthorized('the admin API wants a token')
  let body = null
  try { body = await res.json() } catch { /* an error page without JSON */ }
  if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`)
  return body
}

/** Everything the page shows; only the status is required, the rest render when they answer. */
async function fetchAll () {
  const [status, outbox, reports, stats, rejections, quarantine] = await Promise.allSettled([
    api('/v1/status'),
    api('/v1/reports/outbox'),
    api(`/v1/reports?limit=${RECENT_REPORTS}`),
    api('/v1/reports/stats?by=hoster'),
    api('/v1/reports/rejections'),
    api('/v1/quarantine')
  ])
  if (status.status === 'rejected') throw status.reason
  const value = (r) => r.status === 'fulfilled' ? r.value : null
  // the status carries the report counts (the same as GET /v1/reports/counts)
  return { status: status.value, counts: status.value.reports ?? null, outbox: value(outbox), reports: value(reports), stats: value(stats), rejections: value(rejections), quarantine: value(quarantine) }
}

// ------------------------------------------------------------------ rendering

function fillBody (table, rows, emptyText, columns) {
  const body = table.tBodies[0]
  if (rows.length === 0) {
    body.replaceChildren(h('tr', { class: 'empty' }, h('td', { colspan: columns ?? table.tHead.rows[0].cells.length }, emptyText)))
    return
  }
  body.replaceChildren(...rows)
}

function renderHeader (s) {
  $('node-name').textContent = s.name
  document.title = `${s.name} · hashfed dashboard`
  const bits = [`${s.countries.length > 0 ? s.countries.join(', ') : 'no countries'}`, `peer ${shortPeer(s.peerId)}`]
  if (s.mirrorOf !== undefined) bits.push(`mirror of ${s.mirrorOf}`)
  $('node-meta').textContent = bits.join(' · ')
  $('federation-name').textContent = s.federation
}

function renderCards (d) {
  const s = d.status
  const others = s.members.filter(m => !m.self)
  const up = others.filter(m => m.connected).length
  $('card-members').textContent = `${up} / ${others.length}`
  $('card-members').parentElement.classList.toggle('warn', up < others.length)
  $('card-hashes').textContent = number(s.store.hashes)
  const open = d.counts === null ? null : [...OPEN].reduce((n, k) => n + (d.counts.byStatus[k] ?? 0), 0)
  $('card-open').textContent = number(open)
  $('card-outbox').textContent = number(d.outbox?.depth ?? s.store.outbox)
  const rejected = s.rejected.total + (d.rejections?.total ?? 0)
  $('card-rejected').textContent = number(rejected)
  $('card-rejected').parentElement.classList.toggle('warn', rejected > 0)
  $('card-refused').textContent = number(s.refused.total)
  $('card-refused').parentElement.classList.toggle('warn', s.refused.total > 0)
}

function connectionCell (m) {
  if (m.self) return h('td', {}, h('span', { class: 'state state-self' }, 'this node'))
  if (m.connected) {
    return h('td', {}, h('span', { class: 'state state-up' }, 'connected'),
      m.connectedSince !== null ? h('span', { class: 'dim small block' }, 'since ', time(m.connectedSince)) : null)
  }
  return h('td', {}, h('span', { class: 'state state-down' }, 'not connected'),
    m.lastError !== null ? h('span', { class: 'dim small block', title: m.lastError }, m.lastError.length > 48 ? m.lastError.slice(0, 47) + '…' : m.lastError) : null)
}

function lagCell (m) {
  if (m.self) return h('td', { class: 'dim' }, '–')
  if (m.behind.length === 0) return h('td', {}, m.lastSyncAt !== null ? h('span', { class: 'ok' }, 'in step') : h('span', { class: 'dim' }, 'not synced yet'))
  return h('td', {}, h('ul', { class: 'lag' }, m.behind.map(b =>
    h('li', {}, h('span', { class: 'lag-origin' }, b.name), ` ${number(b.entries)} entries (${number(b.batches)} batches) behind`))))
}

function renderMembers (d) {
  const byPeer = d.outbox?.byPeer ?? {}
  const rows = d.status.members.map(m => h('tr', { 'data-member': m.name, 'data-connected': m.self ? 'self' : String(m.connected), class: m.self ? 'self' : (m.connected ? '' : 'down') },
    h('th', { scope: 'row' }, h('span', { class: 'member-name' }, m.name), h('span', { class: 'mono dim small block nowrap', title: m.peerId }, shortPeer(m.peerId))),
    h('td', {}, m.countries.length > 0 ? m.countries.join(', ') : (m.mirrorOf !== undefined ? `mirror of ${m.mirrorOf}` : '–')),
    connectionCell(m),
    h('td', { class: 'mono small', title: m.address ?? undefined }, m.address !== null ? m.address.replace(/\/p2p\/[^/]+$/, '') : '–'),
    h('td', { class: 'num' }, m.self ? '–' : m.rttMs !== null ? `${m.rttMs} ms` : '–'),
    h('td', {}, m.self ? h('span', { class: 'dim' }, '–') : time(m.lastSyncAt)),
    lagCell(m),
    h('td', { class: m.rejected > 0 ? 'num bad' : 'num' }, number(m.rejected)),
    h('td', { class: 'num' }, m.self ? '–' : number(byPeer[m.peerId] ?? 0))
  ))
  fillBody($('members'), rows, 'No members in the federation file.')
}

function renderOrigins (d) {
  const rows = d.status.origins.map(o => h('tr', { 'data-origin': o.name },
    h('th', { scope: 'row' }, o.name),
    h('td', { class: 'num' }, number(o.headSeq)),
    h('td', { class: 'num' }, number(o.entries)),
    h('td', { class: 'num' }, number(o.retractions)),
    h('td', { class: 'mono small', title: o.headHash }, o.headHash.slice(0, 16) + '…')
  ))
  fillBody($('origins'), rows, 'No hash lists yet: import one with hashfed hashes import.')
}

function renderQueues (d) {
  const table = $('queues')
  if (d.counts === null) {
    fillBody(table, [], 'Report counts are not available from this node.', 1)
    return
  }
  const used = STATUS_ORDER.filter(s => (d.counts.byStatus[s] ?? 0) > 0)
  const shown = used.length > 0 ? used : ['queued', 'received', 'removed']
  table.tHead.replaceChildren(h('tr', {}, h('th', { scope: 'col' }, 'Queue'), shown.map(s => h('th', { scope: 'col', class: 'num' }, s)), h('th', { scope: 'col', class: 'num' }, 'total')))
  const rows = DIRECTIONS.map(([dir, label]) => {
    const by = d.counts.byDirection?.[dir] ?? {}
    return h('tr', { 'data-queue': dir },
      h('th', { scope: 'row' }, h('span', { class: 'block' }, dir), h('span', { class: 'dim small' }, label.replace(/^\w+ /, ''))),
      shown.map(s => h('td', { class: (by[s] ?? 0) > 0 ? 'num' : 'num dim' }, number(by[s] ?? 0))),
      h('td', { class: 'num strong' }, number(d.counts[dir] ?? 0)))
  })
  fillBody(table, rows, '')
  const note = $('outbox-note')
  if (d.outbox === null) { note.textContent = ''; return }
  const waiting = d.outbox.items.filter(i => i.lastError !== null)
  note.textContent = d.outbox.depth === 0
    ? 'Outbox empty: every report and status update has a receipt.'
    : `Outbox: ${d.outbox.depth} message${d.outbox.depth === 1 ? '' : 's'} waiting for a receipt` +
      (waiting.length > 0 ? ` (${waiting.length} retrying; last error: ${waiting[waiting.length - 1].lastError})` : '') + '.'
}

function statusBadge (status) {
  const tone = status === 'removed' ? 'good' : status === 'unroutable' || status === 'unreachable' ? 'bad' : OPEN.has(status) ? 'open' : 'neutral'
  return h('span', { class: `badge badge-${tone}` }, status)
}

function renderReports (d) {
  const table = $('reports')
  if (d.reports === null) {
    fillBody(table, [], 'Reports are not available from this node.')
    return
  }
  const rows = d.reports.reports.map(r => h('tr', { 'data-report': r.id },
    h('td', {}, time(r.createdAt)),
    h('td', { class: 'mono small', title: r.id }, r.id.slice(0, 8)),
    h('td', {}, r.direction === 'outbound' ? `${r.origin} → ${r.target ?? '?'}` : r.local ? `${r.origin} (own)` : `${r.origin} → us`),
    h('td', {}, r.country),
    h('td', {}, r.hoster ?? h('span', { class: 'dim' }, 'unknown')),
    h('td', { class: 'mono small' }, hostOf(r.url)),
    h('td', {}, statusBadge(r.status)),
    h('td', { class: 'num' }, duration(r.timeToRemovalMs))
  ))
  fillBody(table, rows, 'No reports yet.')
}

// ------------------------------------------------------------------ chart

/** Round axis steps in ms: 10 ms … 30 d. */
const STEPS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 432000, 864000, 2592000].map(s => Math.round(s * 1000))

function axisStep (max) {
  return STEPS.find(s => max / s <= 6) ?? STEPS[STEPS.length - 1]
}

const truncate = (text, n) => text.length > n ? text.slice(0, n - 1) + '…' : text

function renderChart (d) {
  const chart = $('removal-chart')
  const groups = (d.stats?.groups ?? []).filter(g => g.removal.count > 0)
    .sort((a, b) => (b.removal.medianMs ?? 0) - (a.removal.medianMs ?? 0))
  const title = svg('title', { id: 'removal-chart-title' }, 'Time to removal per hoster')
  const desc = svg('desc', { id: 'removal-chart-desc' }, groups.length === 0
    ? 'No removals recorded yet.'
    : groups.map(g => `${g.key}: median ${duration(g.removal.medianMs)}, 90th percentile ${duration(g.removal.p90Ms)}, ${g.removal.count} removed`).join('; '))

  // drawn at the figure's own pixel width, so text keeps its size however wide the screen
  const width = Math.max(420, Math.round(chart.parentElement.clientWidth))
  const left = Math.min(220, Math.round(width * 0.3))
  const right = 90
  const top = 12
  const row = 46
  const axis = 28
  if (groups.length === 0) {
    const height = 70
    chart.setAttribute('viewBox', `0 0 ${width} ${height}`)
    chart.setAttribute('height', String(height))
    chart.replaceChildren(title, desc, svg('text', { x: width / 2, y: height / 2, class: 'chart-empty', 'text-anchor': 'middle', 'dominant-baseline': 'middle' },
      'No removals recorded yet: the chart fills in as hotlines report takedowns.'))
  } else {
    const height = top + groups.length * row + axis
    const max = Math.max(...groups.map(g => g.removal.p90Ms ?? g.removal.medianMs ?? 0), 10)
    const step = axisStep(max)
    const end = Math.ceil(max / step) * step
    const plot = width - left - right
    const x = (ms) => left + (ms / end) * plot
    const nodes = [title, desc]
    for (let t = 0; t <= end; t += step) {
      nodes.push(svg('line', { x1: x(t), x2: x(t), y1: top - 4, y2: height - axis, class: 'chart-grid' }))
      nodes.push(svg('text', { x: x(t), y: height - axis + 18, class: 'chart-tick', 'text-anchor': 'middle' }, t === 0 ? '0' : duration(t)))
    }
    groups.forEach((g, i) => {
      const y = top + i * row
      const label = svg('text', { x: left - 12, y: y + 20, class: 'chart-label', 'text-anchor': 'end' }, truncate(g.key, Math.floor(left / 9)))
      label.append(svg('title', {}, g.key))
      nodes.push(label)
      nodes.push(svg('text', { x: left - 12, y: y + 35, class: 'chart-sub', 'text-anchor': 'end' }, `${g.removal.count} removed of ${g.total}`))
      const median = g.removal.medianMs ?? 0
      const p90 = g.removal.p90Ms ?? median
      nodes.push(svg('rect', { x: left, y: y + 6, width: Math.max(2, x(median) - left), height: 16, rx: 3, class: 'bar-median' }))
      nodes.push(svg('rect', { x: left, y: y + 25, width: Math.max(2, x(p90) - left), height: 10, rx: 3, class: 'bar-p90' }))
      nodes.push(svg('text', { x: x(median) + 6, y: y + 19, class: 'chart-value' }, duration(median)))
      nodes.push(svg('text', { x: x(p90) + 6, y: y + 34, class: 'chart-value dimmed' }, `p90 ${duration(p90)}`))
    })
    nodes.push(svg('line', { x1: left, x2: left, y1: top - 4, y2: height - axis, class: 'chart-axis' }))
    chart.setAttribute('viewBox', `0 0 ${width} ${height}`)
    chart.setAttribute('height', String(height))
    chart.replaceChildren(...nodes)
  }

  const rows = (d.stats?.groups ?? []).map(g => h('tr', {},
    h('th', { scope: 'row' }, g.key),
    h('td', { class: 'num' }, number(g.total)),
    h('td', { class: 'num' }, number(g.removal.count)),
    h('td', { class: 'num' }, duration(g.removal.medianMs)),
    h('td', { class: 'num' }, duration(g.removal.p90Ms))))
  fillBody($('removal-table'), rows, 'No reports yet.')
}

// ------------------------------------------------------------------ events

function event (at, tone, title, detail) {
  return { at, node: h('li', { class: `event event-${tone}` }, h('span', { class: 'event-title' }, title), detail ? h('span', { class: 'event-detail' }, detail) : null, at !== null ? h('span', { class: 'event-time' }, time(at)) : null) }
}

function renderRejections (d) {
  const s = d.status
  const items = []
  const nameOf = (peer) => s.members.find(m => m.peerId === peer)?.name ?? shortPeer(peer)
  const forks = s.forks.map(f => event(f.detectedAt, 'bad', `Fork: ${f.name} signed two different batches with sequence number ${f.seq}`,
    `${f.reportedBy !== null ? `the second came through ${nameOf(f.reportedBy)}` : 'source unknown'}; both kept as evidence`))
  for (const r of s.rejected.recent ?? []) {
    const origin = r.origin ? ` (origin ${nameOf(r.origin)})` : ''
    items.push(event(new Date(r.at).toISOString(), 'warn', `Sync: refused data from ${r.name ?? shortPeer(r.peer)}${origin}`, `${r.reason}${r.message ? `: ${r.message}` : ''}`))
  }
  if ((s.rejected.recent ?? []).length === 0) {
    for (const [reason, n] of Object.entries(s.rejected.byReason)) items.push(event(null, 'warn', `Sync: ${n} batch${n === 1 ? '' : 'es'} refused`, `reason: ${reason}`))
  }
  for (const r of d.rejections?.recent ?? []) {
    items.push(event(new Date(r.at).toISOString(), 'warn', `Reports: refused a ${r.kind} message from ${nameOf(r.peer)}`, `${r.reason}: ${r.message}`))
  }
  items.sort((a, b) => (b.at ?? '').localeCompare(a.at ?? ''))
  items.unshift(...forks) // alarms first, whatever their age
  const list = $('rejections')
  list.replaceChildren(...(items.length > 0 ? items.slice(0, 30).map(i => i.node) : [h('li', { class: 'event event-ok' }, h('span', { class: 'event-title' }, 'Nothing refused'), h('span', { class: 'event-detail' }, 'every batch and report message verified'))]))

  const alarms = $('alarms')
  const held = s.held ?? []
  alarms.hidden = s.forks.length === 0 && held.length === 0
  alarms.replaceChildren(...s.forks.map(f => h('p', {}, h('strong', {}, 'Fork alarm: '), `origin ${f.name} signed two different batches with sequence number ${f.seq}. Its list is frozen at the first; contact ${f.name}.`)),
    ...(held.length > 0 ? [h('p', {}, h('strong', {}, 'Quarantine: '), `${held.length} hash${held.length === 1 ? ' is' : 'es are'} held on this node (checks answer held, not match). See the Quarantine panel.`)] : []))
}

function renderQuarantine (d) {
  const held = d.quarantine?.held ?? d.status.held ?? []
  $('quarantine-count').textContent = held.length > 0 ? `${held.length} held` : ''
  const said = (q) => q.originSaid === undefined ? 'no word yet' : q.originSaid.decision === 'confirmed' ? `confirmed by ${q.originSaid.by}` : 'retracted'
  fillBody($('quarantine'), held.map(q => h('tr', {},
    h('td', { class: 'mono' }, q.ref.length > 40 ? `${q.ref.slice(0, 40)}…` : q.ref),
    h('td', {}, q.kind), h('td', {}, q.since), h('td', {}, String(q.hosters)), h('td', {}, String(q.matches)), h('td', {}, q.reason), h('td', {}, said(q)))), 'Nothing held')
}

function renderRefusals (d) {
  const list = $('refusals')
  const recent = d.status.refused.recent
  if (recent.length === 0) {
    list.replaceChildren(h('li', { class: 'event event-ok' }, h('span', { class: 'event-title' }, 'No refusals'), h('span', { class: 'event-detail' }, 'only federation members have connected')))
    return
  }
  // a refused peer usually retries: one line per peer and direction, with its latest attempt
  const byPeer = new Map()
  for (const r of recent) {
    const key = `${r.direction} ${r.peerId}`
    const seen = byPeer.get(key) ?? { ...r, attempts: 0 }
    seen.attempts++
    if (r.at >= seen.at) Object.assign(seen, { at: r.at, remoteAddr: r.remoteAddr })
    byPeer.set(key, seen)
  }
  const groups = [...byPeer.values()].sort((a, b) => b.at - a.at)
  list.replaceChildren(...groups.slice(0, 20).map(r => event(new Date(r.at).toISOString(), 'warn',
    `${r.direction === 'inbound' ? 'Inbound' : 'Outbound'}: ${shortPeer(r.peerId)}`,
    `${r.attempts} attempt${r.attempts === 1 ? '' : 's'}${r.remoteAddr ? `, last from ${r.remoteAddr}` : ''}`).node))
  if (d.status.refused.total > recent.length) list.append(h('li', { class: 'event dim' }, `${d.status.refused.total} refusals since the node started; the ${recent.length} most recent are grouped above`))
}

// ------------------------------------------------------------------ live state and token

function setLive (state, text) {
  const live = $('live')
  live.className = `live live-${state}`
  live.textContent = text
}

function showTokenForm (show, hint) {
  const form = $('token-form')
  form.hidden = !show
  $('token-toggle').setAttribute('aria-expanded', String(show))
  if (hint !== undefined) $('token-hint').textContent = hint
  if (show) $('token-input').focus()
}

function wireToken () {
  $('token-toggle').addEventListener('click', () => showTokenForm($('token-form').hidden))
  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault()
    sessionStorage.setItem(TOKEN_KEY, $('token-input').value.trim())
    $('token-input').value = ''
    showTokenForm(false)
    void tick()
  })
  $('token-forget').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY)
    $('token-input').value = ''
    void tick()
  })
}

let timer = null
let running = false
let lastOk = null
let lastData = null

async function tick () {
  if (running) return
  running = true
  clearTimeout(timer)
  const started = Date.now()
  try {
    const d = await fetchAll()
    renderHeader(d.status)
    renderCards(d)
    renderMembers(d)
    renderOrigins(d)
    renderQueues(d)
    renderReports(d)
    renderChart(d)
    lastData = d
    renderRejections(d)
    renderRefusals(d)
    renderQuarantine(d)
    lastOk = Date.now()
    document.body.dataset.loaded = 'true'
    setLive('ok', `live · updated ${clockTime()}`)
  } catch (err) {
    if (err instanceof Unauthorized) {
      setLive('bad', token() === '' ? 'admin token needed' : 'admin token refused')
      showTokenForm(true, token() === ''
        ? 'This node\'s admin API asks for the bearer token set as api.token in its config.json. It stays in this browser tab only (session storage).'
        : 'The node refused that token. Enter the api.token from the node\'s config.json.')
    } else {
      setLive('bad', lastOk === null ? 'cannot reach the node' : `node not answering · last update ${new Date(lastOk).toLocaleTimeString('en-GB')}`)
    }
  } finally {
    running = false
    // a node with many reports answers slowly: never spend more than a third of the time asking;
    // a hidden tab stops asking until it is shown again
    if (!document.hidden) timer = setTimeout(() => { void tick() }, Math.max(POLL_MS, 3 * (Date.now() - started)))
  }
}

wireToken()
window.addEventListener('resize', () => { if (lastData !== null) renderChart(lastData) })
document.addEventListener('visibilitychange', () => { if (!document.hidden) void tick() })
void tick()
