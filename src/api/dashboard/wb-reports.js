// Workbench: the inbound-report queue and one report's page with its signed timeline.
import { $, h, get, post, act, say, fillBody, when, hostOf, statusBadge, field } from './wb-common.js'

/** The statuses an analyst records, with the words on their buttons. */
const ACTIONS = [['assessed', 'Assessed'], ['notice-sent', 'Notice sent'], ['removed', 'Removed'], ['not-illegal', 'Not illegal']]
const OPEN = new Set(['received', 'assessed', 'notice-sent'])

async function update (id, status, note) {
  return await post(`/v1/reports/${encodeURIComponent(id)}/status`, { status, ...(note ? { note } : {}) })
}

/** Quick actions in a queue row; "Not illegal" wants a note, so it opens the report page's form. */
function rowActions (r, refresh) {
  if (!OPEN.has(r.status)) return h('span', { class: 'dim' }, 'closed')
  return h('div', { class: 'actions' }, ACTIONS.map(([status, label]) => {
    if (status === 'not-illegal') return h('a', { class: 'button-link', href: `#/report/${r.id}?status=not-illegal` }, `${label}…`)
    return h('button', {
      type: 'button',
      'data-action': status,
      'aria-label': `${label}: report ${r.id.slice(0, 8)} (${hostOf(r.url)})`,
      onclick: async (e) => {
        const done = await act(e.currentTarget, async () => await update(r.id, status), `Report ${r.id.slice(0, 8)}: ${label.toLowerCase()} recorded.`)
        if (done !== undefined) {
          await refresh()
          // the rows were redrawn: keep the keyboard on this report (its next action, or its link)
          const row = document.querySelector(`#queue tr[data-report="${r.id}"]`)
          ;(row?.querySelector('button, a.button-link') ?? row?.querySelector('a'))?.focus()
        }
      }
    }, label)
  }))
}

export async function showQueue () {
  const status = $('queue-status').value
  const direction = $('queue-direction').value
  const { reports } = await get('/v1/reports', { direction, status, limit: 500 })
  $('queue-count').textContent = `${reports.length} report${reports.length === 1 ? '' : 's'}`
  const rows = reports.map(r => h('tr', { 'data-report': r.id },
    h('td', {}, when(r.createdAt)),
    h('td', {}, h('a', { href: `#/report/${r.id}`, class: 'mono small' }, r.id)),
    h('td', {}, r.direction === 'outbound' ? `${r.origin} → ${r.target ?? '?'}` : r.local ? `${r.origin} (own)` : `from ${r.origin}`),
    h('td', {}, r.country),
    h('td', {}, r.hoster ?? h('span', { class: 'dim' }, 'unknown'), r.asn !== null ? h('span', { class: 'dim small block' }, `AS${r.asn}`) : null),
    h('td', { class: 'mono small' }, hostOf(r.url)),
    h('td', {}, statusBadge(r.status)),
    h('td', {}, r.direction === 'inbound' ? rowActions(r, showQueue) : h('span', { class: 'dim' }, 'handled by ', r.target ?? '?'))
  ))
  fillBody($('queue'), rows, 'No reports match.')
}

export function wireQueue () {
  $('queue-filter').addEventListener('submit', (e) => { e.preventDefault(); void showQueue().catch(err => say(`Failed: ${err.message}`, 'bad')) })
}

function detail (label, value) {
  return [h('dt', {}, label), h('dd', {}, value ?? h('span', { class: 'dim' }, '–'))]
}

export async function showReport (id, params) {
  const view = $('report-view')
  const r = await get(`/v1/reports/${encodeURIComponent(id)}`)
  const heading = h('h2', { id: 'report-h', tabindex: '-1' }, 'Report ', h('span', { class: 'mono' }, r.id), ' ', statusBadge(r.status))
  const facts = h('dl', { class: 'facts' },
    detail('URL', h('span', { class: 'mono url', 'data-url': 'true' }, r.url)),
    detail('Route', r.direction === 'outbound' ? `${r.origin} → ${r.target ?? '?'}` : `${r.origin} → us`),
    detail('Country', `${r.country} (${r.countrySource})`),
    detail('IP', r.ip), detail('Hoster', r.hoster), detail('ASN', r.asn !== null ? `AS${r.asn}` : null),
    detail('Classification', r.classification), detail('Media', r.media),
    detail('Hashes', r.hashes.length > 0 ? h('ul', { class: 'plain mono small' }, r.hashes.map(x => h('li', {}, x))) : null),
    detail('Reporter\'s note', r.note),
    detail('Created', when(r.createdAt)), detail('Received', when(r.receivedAt)), detail('Removed', when(r.removedAt)))

  const timeline = h('ol', { class: 'timeline', id: 'timeline' }, r.timeline.map(t => h('li', { 'data-status': t.status ?? 'note' },
    h('span', { class: 'tl-status' }, t.status !== null ? statusBadge(t.status) : 'note'),
    h('span', { class: 'tl-meta' }, when(t.at), ` · signed by ${t.author} · update ${t.seq}`),
    t.note !== null ? h('p', { class: 'tl-note' }, t.note) : null)))
  if (r.timeline.length === 0) timeline.append(h('li', { class: 'dim' }, 'No status updates yet.'))

  const parts = [heading, h('div', { class: 'report-grid' }, h('section', { 'aria-labelledby': 'facts-h' }, h('h3', { id: 'facts-h' }, 'Details'), facts),
    h('section', { 'aria-labelledby': 'tl-h' }, h('h3', { id: 'tl-h' }, 'Timeline'), h('p', { class: 'note' }, 'Each update is signed by the hotline that made it; the origin holds the same signed records.'), timeline))]
  if (r.direction === 'inbound' && OPEN.has(r.status)) parts.push(updateForm(r, params.get('status')))
  view.replaceChildren(...parts)
  if ($('operator-form').hidden) heading.focus()
}

/** The analyst's form: one status (radio buttons), a note (required for "not illegal"). */
function updateForm (r, preset) {
  const note = h('textarea', { id: 'update-note', name: 'note', rows: 3, maxlength: 4096 })
  const radios = ACTIONS.map(([status, label]) => h('label', { class: 'radio' },
    h('input', { type: 'radio', name: 'status', value: status, required: true, checked: status === preset }), ' ', label))
  const submit = h('button', { type: 'submit' }, 'Record')
  const form = h('form', { id: 'update-form', class: 'panel-form' },
    h('fieldset', {}, h('legend', {}, 'Record progress'), radios),
    field('Note', note, 'Required for "not illegal": why. Sent to the reporting hotline with the update.'),
    submit)
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    const status = new FormData(form).get('status')
    if (status === 'not-illegal' && note.value.trim() === '') { say('A "not illegal" decision needs a note saying why.', 'bad'); note.focus(); return }
    const done = await act(submit, async () => await update(r.id, status, note.value.trim()), `Report ${r.id.slice(0, 8)}: ${status} recorded.`)
    if (done !== undefined) await showReport(r.id, new URLSearchParams())
  })
  return form
}
