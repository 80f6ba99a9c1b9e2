// Workbench helpers shared by the views: DOM building (text only, never markup: report
// fields come from other hotlines), the admin API with the token and the operator's name,
// and the status line that says what an action did.

export const TOKEN_KEY = 'hashfed.adminToken'
export const OPERATOR_KEY = 'hashfed.operator'
/** what the audit log accepts as a name (src/audit/audit-log.ts ACTOR_NAME) */
export const OPERATOR_PATTERN = '[\\p{L}\\p{N}_.@+\\-]{1,64}'
const SVG_NS = 'http://www.w3.org/2000/svg'

export class Unauthorized extends Error {}
export class NoOperator extends Error {}

export const $ = (id) => document.getElementById(id)

/** `h('td', { class: 'num' }, 'text', node)`; `on*` attributes take functions. */
export function h (tag, attrs = {}, ...children) {
  const node = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue
    if (k === 'class') node.className = v
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v)
    else node.setAttribute(k, v === true ? '' : String(v))
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue
    node.append(c instanceof Node ? c : document.createTextNode(String(c)))
  }
  return node
}

export function svg (tag, attrs = {}, text) {
  const node = document.createElementNS(SVG_NS, tag)
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v))
  if (text !== undefined) node.textContent = text
  return node
}

export const token = () => sessionStorage.getItem(TOKEN_KEY) ?? ''
export const operator = () => sessionStorage.getItem(OPERATOR_KEY) ?? ''

function headers (extra = {}) {
  const t = token()
  const op = operator()
  // x-hashfed-request: the admin API refuses changes without it (no other site's page can send it);
  // x-hashfed-actor: the operator's name for the audit log, as the CLI sends the OS user
  return { 'x-hashfed-request': '1', ...(t === '' ? {} : { authorization: `Bearer ${t}` }), ...(op === '' ? {} : { 'x-hashfed-actor': op }), ...extra }
}

async function answer (res, asText) {
  if (res.status === 401) throw new Unauthorized('the admin API wants a token')
  const text = await res.text()
  if (!res.ok) {
    let message = `HTTP ${res.status}`
    try { message = JSON.parse(text)?.error?.message ?? message } catch { /* not JSON */ }
    throw new Error(message)
  }
  return asText ? text : JSON.parse(text)
}

/** GET an admin route; `query` values that are empty are left out. */
export async function get (path, query = {}, asText = false) {
  const q = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== ''))
  const url = q.size > 0 ? `${path}?${q}` : path
  return await answer(await fetch(url, { headers: headers(), cache: 'no-store' }), asText)
}

/** POST a change: refused here, before it is sent, until the operator has given a name. */
export async function post (path, body = {}) {
  if (operator() === '') throw new NoOperator('enter your name first: every change is recorded with it')
  return await answer(await fetch(path, { method: 'POST', headers: headers({ 'content-type': 'application/json' }), body: JSON.stringify(body), cache: 'no-store' }), false)
}

/** The line under the navigation that says what the last action did (a live region). */
export function say (text, tone = 'ok') {
  const out = $('wb-status')
  out.className = `wb-status wb-status-${tone}`
  out.textContent = text
}

/** Runs an action from a button or form: the control is disabled meanwhile, the outcome said. */
export async function act (control, work, done) {
  control.disabled = true
  try {
    const res = await work()
    if (done !== undefined) say(typeof done === 'function' ? done(res) : done, 'ok')
    return res
  } catch (err) {
    if (err instanceof NoOperator) document.dispatchEvent(new CustomEvent('wb:need-operator'))
    say(err instanceof Unauthorized ? 'The admin API refused: enter the admin token (top right).' : `Failed: ${err.message}`, 'bad')
    return undefined
  } finally {
    control.disabled = false
  }
}

/** A button that asks once more before an action that cannot be undone. */
export function confirmButton (label, question, run, attrs = {}) {
  const wrap = h('span', { class: 'confirm' })
  const first = h('button', { type: 'button', class: 'danger', ...attrs }, label)
  first.addEventListener('click', () => {
    const yes = h('button', { type: 'button', class: 'danger', 'data-confirm': 'yes' }, `Yes, ${label.toLowerCase()}`)
    const no = h('button', { type: 'button', class: 'quiet' }, 'Cancel')
    no.addEventListener('click', () => { wrap.replaceChildren(first); first.focus() })
    yes.addEventListener('click', async () => { await run(yes); if (yes.isConnected) wrap.replaceChildren(first) })
    wrap.replaceChildren(h('span', { class: 'confirm-q' }, question, ' '), yes, ' ', no)
    yes.focus()
  })
  wrap.append(first)
  return wrap
}

export function fillBody (table, rows, emptyText) {
  const body = table.tBodies[0]
  if (rows.length === 0) body.replaceChildren(h('tr', { class: 'empty' }, h('td', { colspan: table.tHead.rows[0].cells.length }, emptyText)))
  else body.replaceChildren(...rows)
}

export function duration (ms) {
  if (ms === null || ms === undefined) return '–'
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`
  const hr = Math.floor(m / 60)
  if (hr < 48) return m % 60 === 0 ? `${hr} h` : `${hr} h ${m % 60} min`
  return `${Math.floor(hr / 24)} d ${hr % 24} h`
}

/** ISO 8601 with the zone, as the API sends it, in a <time> whose title is the local reading. */
export function when (iso) {
  if (iso === null || iso === undefined) return h('span', { class: 'dim' }, '–')
  return h('time', { datetime: iso, title: new Date(iso).toString() }, iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))
}

export function hostOf (url) {
  try { return new URL(url).host } catch { return '(not a URL)' }
}

export function statusBadge (status) {
  const open = ['received', 'assessed', 'notice-sent'].includes(status)
  const tone = status === 'removed' ? 'good' : status === 'unroutable' || status === 'unreachable' ? 'bad' : open ? 'open' : 'neutral'
  return h('span', { class: `badge badge-${tone}`, 'data-status': status }, status)
}

/** A labelled field: the label's `for` names the control, so a click and a screen reader both find it. */
export function field (label, control, hint) {
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hint !== undefined ? h('span', { class: 'hint' }, hint) : null)
}

/** Saves text as a file through the browser (a blob URL: no request leaves the page). */
export function download (name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }))
  const a = h('a', { href: url, download: name, hidden: true })
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
