// Workbench: disputes about our hashes (accept = retract, reject, retract) and hash lookup.
import { $, h, get, post, act, say, fillBody, when, confirmButton, field } from './wb-common.js'

let counter = 0

function decisionCell (f) {
  if (f.decision !== null && f.decision !== undefined) {
    return h('td', {}, h('span', { class: `badge ${f.decision.decision === 'accepted' ? 'badge-good' : 'badge-neutral'}`, 'data-decision': f.decision.decision }, f.decision.decision),
      h('span', { class: 'dim small block' }, f.decision.reason))
  }
  return h('td', {}, h('span', { class: 'dim' }, f.verdict === 'disputed' ? 'open' : 'confirmation'))
}

function disputeActions (f) {
  if (f.verdict !== 'disputed' || (f.decision !== null && f.decision !== undefined)) return h('td', {}, f.current ? '' : h('span', { class: 'dim' }, 'retracted'))
  const reason = h('input', { id: `dispute-reason-${++counter}`, type: 'text', maxlength: 500, required: true, 'data-reason': 'true' })
  // benign: members that trust us then suppress this value's matches from other lists too
  const benign = h('input', { id: `dispute-benign-${counter}`, type: 'checkbox', 'data-benign': 'true' })
  const decide = (decision, label) => h('button', {
    type: 'button',
    'data-action': decision,
    onclick: async (e) => {
      if (reason.value.trim() === '') { say('Give a reason for the decision.', 'bad'); reason.focus(); return }
      const done = await act(e.currentTarget, async () => await post(`/v1/disputes/${encodeURIComponent(f.id)}/decision`, { decision, reason: reason.value.trim(), ...(decision === 'accepted' && benign.checked ? { benign: true } : {}) }),
        (res) => decision === 'accepted' ? `Dispute accepted: ${res.ref} retracted${res.benign === true ? ' and published as benign' : ''}${res.seq !== undefined ? ` (batch ${res.seq})` : ''}.` : 'Dispute rejected: the hash stays listed.')
      if (done !== undefined) {
        await showDisputes()
        document.querySelector(`#disputes tr[data-feedback="${f.id}"] td:last-child`)?.setAttribute('tabindex', '-1')
        document.querySelector(`#disputes tr[data-feedback="${f.id}"] td:last-child`)?.focus()
      }
    }
  }, label)
  const retract = h('button', {
    type: 'button',
    class: 'quiet',
    'data-action': 'retract',
    onclick: async (e) => {
      if (reason.value.trim() === '') { say('Give a reason for the retraction.', 'bad'); reason.focus(); return }
      const done = await act(e.currentTarget, async () => await post('/v1/hashes/retract', { ref: f.ref, reason: reason.value.trim() }), (res) => `${f.ref} retracted (batch ${res.seq}); the dispute stays open.`)
      if (done !== undefined) await showDisputes()
    }
  }, 'Retract only')
  return h('td', {}, h('div', { class: 'stack' }, field('Reason', reason), h('label', { for: benign.id, class: 'check' }, benign, ' On accept, also publish it as benign (not abuse material)'), h('div', { class: 'actions' }, decide('accepted', 'Accept (retract)'), decide('rejected', 'Reject'), f.current ? retract : null)))
}

export async function showDisputes () {
  const { feedback } = await get('/v1/disputes', { all: $('disputes-all').checked ? 'true' : undefined })
  const rows = feedback.map(f => h('tr', { 'data-feedback': f.id, 'data-ref': f.ref },
    h('td', {}, when(f.at)),
    h('td', {}, f.verdict),
    h('td', { class: 'mono small wrap' }, f.ref, h('span', { class: 'block' }, f.current ? h('span', { class: 'ok' }, 'listed') : h('span', { class: 'dim' }, 'retracted'))),
    h('td', {}, f.hoster, h('span', { class: 'dim small block' }, `via ${f.from}`)),
    h('td', { class: 'wrap' }, f.reason),
    decisionCell(f),
    disputeActions(f)))
  fillBody($('disputes'), rows, 'No disputes about our hashes.')
}

export function wireDisputes () {
  $('disputes-all').addEventListener('change', () => { void showDisputes().catch(err => say(`Failed: ${err.message}`, 'bad')) })
  const form = $('hash-form')
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    await act(form.querySelector('button[type=submit]'), async () => await lookup($('hash-ref').value.trim()))
  })
}

/** Which origins vouch for a hash; our own listing gets a retract form. */
async function lookup (ref) {
  const [res, status] = await Promise.all([get('/v1/hashes/show', { ref }), get('/v1/status')])
  const out = $('hash-result')
  const rows = res.origins.map(o => {
    const ours = o.origin === status.peerId
    const retracted = o.retracted !== undefined && o.retracted !== null
    return h('tr', { 'data-origin': o.name ?? o.origin },
      h('th', { scope: 'row' }, o.name ?? o.origin, ours ? h('span', { class: 'dim small block' }, 'our list') : null),
      h('td', {}, o.classification ?? '–'),
      h('td', {}, o.source ?? '–'),
      h('td', {}, retracted ? h('span', { class: 'dim', 'data-state': 'retracted' }, 'retracted') : h('span', { class: 'ok', 'data-state': 'listed' }, 'listed')),
      h('td', {}, ours && !retracted ? retractForm(`${res.algorithm}:${res.value}`) : ''))
  })
  const table = h('table', { id: 'hash-origins' }, h('thead', {}, h('tr', {}, ['Origin', 'Class', 'Source', 'State', ''].map(c => h('th', { scope: 'col' }, c)))), h('tbody'))
  fillBody(table, rows, 'No member lists this hash.')
  out.replaceChildren(h('p', { class: 'mono small wrap' }, `${res.algorithm}:${res.value}`), h('div', { class: 'scroll' }, table))
}

function retractForm (ref) {
  const reason = h('input', { id: `retract-reason-${++counter}`, type: 'text', maxlength: 500, required: true })
  return h('div', { class: 'stack' }, field('Reason', reason),
    confirmButton('Retract', 'Retract this hash from our list for every member?', async (btn) => {
      if (reason.value.trim() === '') { say('Give a reason for the retraction.', 'bad'); reason.focus(); return }
      const done = await act(btn, async () => await post('/v1/hashes/retract', { ref, reason: reason.value.trim() }), (r) => `${ref} retracted (batch ${r.seq}).`)
      if (done !== undefined) await lookup(ref)
    }, { 'data-action': 'retract' }))
}
