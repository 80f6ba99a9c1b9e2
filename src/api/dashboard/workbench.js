// hashfed workbench: the views beyond the overview, one per location hash (#/reports,
// #/report/<id>, #/disputes, …), and the operator's name that every change carries. The
// overview (dashboard.js) keeps polling on its own; the other views load when shown and
// after each action.
import { $, OPERATOR_KEY, operator, say, Unauthorized } from './wb-common.js'
import { showQueue, showReport, wireQueue } from './wb-reports.js'
import { showDisputes, wireDisputes } from './wb-disputes.js'
import { showMembers, showTokens, wireMembers, wireTokens } from './wb-admin.js'
import { showHosterReport, wireHosterReport } from './wb-hoster.js'

const VIEWS = {
  overview: async () => {},
  reports: async () => await showQueue(),
  report: async (id, params) => await showReport(id, params),
  disputes: async () => await showDisputes(),
  hashes: async () => {},
  members: async () => await showMembers(),
  tokens: async () => await showTokens(),
  'hoster-report': async () => await showHosterReport()
}

/** `#/report/<id>?status=x` → view `report`, argument `<id>`, params `status=x`. */
function route () {
  const [path, search = ''] = location.hash.replace(/^#\/?/, '').split('?')
  const [name = '', arg] = path.split('/')
  return { name: name in VIEWS ? name : 'overview', arg: arg !== undefined ? decodeURIComponent(arg) : undefined, params: new URLSearchParams(search) }
}

async function show () {
  const { name, arg, params } = route()
  for (const el of document.querySelectorAll('[data-view]')) el.hidden = el.dataset.view !== name
  for (const a of document.querySelectorAll('[data-nav]')) {
    const current = a.dataset.nav === name || (name === 'report' && a.dataset.nav === 'reports')
    if (current) a.setAttribute('aria-current', 'page')
    else a.removeAttribute('aria-current')
  }
  document.body.dataset.current = name
  delete document.body.dataset.ready
  try {
    await VIEWS[name](arg, params)
    // move focus to the view's heading, so a keyboard or screen-reader user starts there
    if (name !== 'report' && name !== 'overview' && $('operator-form').hidden) document.querySelector(`[data-view="${name}"] h2`)?.focus()
  } catch (err) {
    say(err instanceof Unauthorized ? 'The admin API wants a token: enter it under "Admin token".' : `Could not load this view: ${err.message}`, 'bad')
  } finally {
    document.body.dataset.ready = name
  }
}

function showOperator (open) {
  const form = $('operator-form')
  form.hidden = !open
  $('operator-toggle').setAttribute('aria-expanded', String(open))
  if (open) { $('operator-input').value = operator(); $('operator-input').focus() }
}

function wireOperator () {
  const label = () => { $('operator-name').textContent = operator() === '' ? 'not set' : operator() }
  label()
  $('operator-toggle').addEventListener('click', () => showOperator($('operator-form').hidden))
  $('operator-form').addEventListener('submit', (e) => {
    e.preventDefault()
    const name = $('operator-input').value.trim()
    if (!$('operator-input').checkValidity()) return
    sessionStorage.setItem(OPERATOR_KEY, name)
    label()
    showOperator(false)
    say(`Changes are recorded as ${name}.`)
  })
  document.addEventListener('wb:need-operator', () => showOperator(true))
  // asked once per tab: a change without a name would be recorded as "unknown"
  if (operator() === '') showOperator(true)
}

wireOperator()
wireQueue()
wireDisputes()
wireMembers()
wireTokens()
wireHosterReport()
window.addEventListener('hashchange', () => { say(''); void show() })
void show()
