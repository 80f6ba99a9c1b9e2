// Workbench: federation members (add; remove when the node offers it) and hosters' check tokens.
import { $, h, get, post, act, say, fillBody, when, confirmButton } from './wb-common.js'

/** The node's "remove a member" route, found in its /openapi.json; null: this node has none (the button stays hidden). */
let removeRoute
async function findRemoveRoute () {
  if (removeRoute !== undefined) return removeRoute
  removeRoute = null
  try {
    const doc = await get('/openapi.json')
    for (const [path, methods] of Object.entries(doc.paths ?? {})) {
      if (!path.startsWith('/v1/federation') || methods.post === undefined) continue
      const m = methods.post
      if (!/remove/i.test(`${path} ${m.summary ?? ''}`)) continue
      const props = m.requestBody?.content?.['application/json']?.schema?.properties ?? {}
      removeRoute = { path, fields: Object.keys(props) }
      break
    }
  } catch { /* no document: no button */ }
  return removeRoute
}

function removeRequest (route, m) {
  const path = route.path.replace(/\{([^}]+)\}/g, (_all, p) => encodeURIComponent(p === 'peerId' ? m.peerId : m.name))
  const body = {}
  for (const f of route.fields) {
    if (f === 'peerId') body.peerId = m.peerId
    else if (f === 'name' || f === 'member') body[f] = m.name
  }
  return { path, body }
}

/** Why a member is not connected, in the node's own words (full text: the cut-off hid the difference). */
function connection (m) {
  if (m.self) return h('span', { class: 'state state-self' }, 'this node')
  if (m.connected) return h('span', { class: 'state state-up' }, 'connected')
  const why = m.reason ?? m.diagnosis ?? m.lastError
  return h('div', {}, h('span', { class: 'state state-down' }, 'not connected'), why ? h('p', { class: 'why small', 'data-why': 'true' }, why) : h('p', { class: 'dim small' }, 'no attempt answered yet'))
}

export async function showMembers () {
  const [fed, status, route] = await Promise.all([get('/v1/federation'), get('/v1/status'), findRemoveRoute()])
  const live = new Map(status.members.map(m => [m.peerId, m]))
  $('members-fed').textContent = fed.name
  const rows = fed.members.map(member => {
    const m = { ...member, ...(live.get(member.peerId) ?? { self: false, connected: false, lastError: null }) }
    return h('tr', { 'data-member': m.name },
      h('th', { scope: 'row' }, m.name, h('span', { class: 'mono dim small block wrap' }, m.peerId)),
      h('td', {}, (m.countries ?? []).join(', ') || (m.mirrorOf !== undefined ? `mirror of ${m.mirrorOf}` : '–')),
      h('td', { class: 'mono small wrap' }, (member.addresses ?? []).join('\n') || '–'),
      h('td', {}, connection(m)),
      h('td', {}, route !== null && !m.self
        ? confirmButton('Remove', `Remove ${m.name} from the federation?`, async (btn) => {
          const { path, body } = removeRequest(route, m)
          const done = await act(btn, async () => await post(path, body), `${m.name} removed from the federation.`)
          if (done !== undefined) await showMembers()
        }, { 'data-action': 'remove', 'aria-label': `Remove ${m.name}` })
        : ''))
  })
  fillBody($('wb-members'), rows, 'No members.')
}

const list = (text) => text.split(/[\s,]+/).map(s => s.trim()).filter(s => s !== '')

export function wireMembers () {
  const form = $('member-form')
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    const d = new FormData(form)
    const body = { name: d.get('name').trim(), peerId: d.get('peerId').trim(), countries: list(d.get('countries').toUpperCase()), addresses: list(d.get('addresses')) }
    const done = await act(form.querySelector('button[type=submit]'), async () => await post('/v1/federation/members', body), (r) => `${body.name} added: ${r.members} members.`)
    if (done !== undefined) { form.reset(); await showMembers() }
  })
}

export async function showTokens () {
  const [{ tokens }, usage] = await Promise.all([get('/v1/tokens'), get('/v1/tokens/usage').catch(() => null)])
  const uses = new Map((usage?.tokens ?? []).map(u => [u.prefix, u]))
  $('tokens-since').textContent = usage?.since ? `Requests counted since the node started (${usage.since}).` : 'Requests are counted while the node runs.'
  const rows = tokens.map(t => {
    const u = uses.get(t.prefix)
    return h('tr', { 'data-token': t.name, 'data-revoked': String(t.revokedAt !== null) },
      h('th', { scope: 'row' }, t.name),
      h('td', { class: 'mono' }, `${t.prefix}…`),
      h('td', {}, when(t.createdAt)),
      h('td', {}, t.revokedAt !== null ? h('span', { class: 'badge badge-neutral' }, 'revoked ', when(t.revokedAt)) : h('span', { class: 'badge badge-good' }, 'active')),
      h('td', { class: 'num', 'data-requests': String(u?.requests ?? 0) }, String(u?.requests ?? 0)),
      h('td', {}, when(u?.lastUsedAt ?? null)),
      h('td', {}, t.revokedAt === null
        ? confirmButton('Revoke', `Revoke ${t.name}'s token? Its requests fail at once.`, async (btn) => {
          const done = await act(btn, async () => await post('/v1/tokens/revoke', { name: t.name }), `Token of ${t.name} revoked.`)
          if (done !== undefined) await showTokens()
        }, { 'data-action': 'revoke', 'aria-label': `Revoke ${t.name}` })
        : ''))
  })
  fillBody($('wb-tokens'), rows, 'No check tokens yet.')
}

export function wireTokens () {
  const form = $('token-create')
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    const name = $('token-name').value.trim()
    const res = await act(form.querySelector('button[type=submit]'), async () => await post('/v1/tokens', { name }), `Token for ${name} created: copy it now, it is shown once.`)
    if (res === undefined) return
    form.reset()
    const out = $('token-new')
    out.hidden = false
    out.replaceChildren(h('p', {}, `Token for ${res.info.name} (shown once):`), h('output', { class: 'mono secret', id: 'token-value', tabindex: '0' }, res.token))
    await showTokens()
  })
}

export { say }
