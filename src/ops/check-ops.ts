import { CHECK_BYTES_PER_HASH } from '../check/constants.js'
import { checkRequestSchema, feedbackRequestSchema } from '../check/check-requests.js'
import { defineOp, field, type Zod } from './operation.js'

const noInput = (z: Zod) => z.strictObject({})
const anyObject = { type: 'object', additionalProperties: true } as const
const originInput = (z: Zod) => z.strictObject({ origin: z.string().min(1).max(128).meta({ description: 'member name or peer ID' }) })
const tokenName = (z: Zod) => z.string().min(1).max(64)
const tokenInfo = { type: 'object', properties: { name: { type: 'string' }, prefix: { type: 'string' }, createdAt: { type: 'string' }, revokedAt: { type: ['string', 'null'] } } }

export const matchStatusOp = defineOp({
  name: 'match.status',
  summary: 'index sizes per algorithm, load time, thresholds, and each origin with its switch',
  authority: 'read',
  http: { method: 'GET', path: '/v1/match/status' },
  input: noInput,
  output: anyObject,
  run: async (c) => (await c.match()).status()
})

/** The kill switch: an origin's hashes stop (or start again) counting in checks; its list keeps replicating. */
function matchSwitchOp (verb: 'enable' | 'disable') {
  return defineOp({
    name: `match.${verb}`,
    summary: verb === 'disable' ? 'stop serving an origin\'s hashes in checks (kept in config match.disabledOrigins)' : 'serve an origin\'s hashes in checks again',
    authority: 'change',
    http: { method: 'POST', path: `/v1/match/${verb}` },
    input: originInput,
    output: anyObject,
    run: async (c, { origin }) => await (await c.match()).setEnabled(origin, verb === 'enable'),
    audit: (_i, res) => ({ action: `match.${verb}`, details: { origin: res.name, peerId: res.peerId } })
  })
}
export const matchEnableOp = matchSwitchOp('enable')
export const matchDisableOp = matchSwitchOp('disable')

export const tokensListOp = defineOp({
  name: 'tokens.list',
  summary: 'check API tokens with name, prefix, creation and revocation times',
  authority: 'read',
  http: { method: 'GET', path: '/v1/tokens' },
  input: noInput,
  output: { type: 'object', required: ['tokens'], properties: { tokens: { type: 'array', items: tokenInfo } } },
  run: async (c) => ({ tokens: (await c.tokens()).list() })
})

export const tokensCreateOp = defineOp({
  name: 'tokens.create',
  summary: 'create a check API token for a hoster (shown once)',
  authority: 'change',
  http: { method: 'POST', path: '/v1/tokens' },
  input: (z) => z.strictObject({
    name: tokenName(z),
    token: z.string().max(100).optional().meta({ description: 'register this token instead of generating one (mirrors behind one load balancer share tokens)' })
  }),
  output: { type: 'object', properties: { token: { type: 'string' }, info: tokenInfo } },
  run: async (c, { name, token }) => await (await c.tokens()).create(name, token !== undefined ? { token } : {}),
  audit: (_i, res) => ({ action: 'tokens.create', details: { name: res.info.name, prefix: res.info.prefix } })
})

export const tokensRevokeOp = defineOp({
  name: 'tokens.revoke',
  summary: 'revoke a hoster\'s token: its requests get 401 at once',
  authority: 'change',
  http: { method: 'POST', path: '/v1/tokens/revoke' },
  input: (z) => z.strictObject({ name: tokenName(z) }),
  output: tokenInfo,
  run: async (c, { name }) => await (await c.tokens()).revoke(name),
  audit: (_i, info) => ({ action: 'tokens.revoke', details: { name: info.name, prefix: info.prefix } })
})

/** Analysts' checks: the same service as the check API, without a token or rate limit. */
export const checkOp = defineOp({
  name: 'check',
  summary: 'check hashes against every enabled origin\'s list, exactly and by near-match',
  authority: 'read',
  // a POST for its body: it changes nothing
  http: { method: 'POST', path: '/v1/check', bodyLimit: (ctx) => Math.max(1024 * 1024, (ctx.config.check?.maxHashes ?? 10_000) * CHECK_BYTES_PER_HASH) },
  input: checkRequestSchema,
  output: { type: 'object', required: ['results'], properties: { results: { type: 'array', items: anyObject } } },
  run: async (c, { hashes }) => ({ results: await (await c.checkService()).check(hashes) })
})

export const feedbackSendOp = defineOp({
  name: 'feedback.send',
  summary: 'tell the hotline(s) vouching for a hash that a match was right (confirmed) or wrong (disputed)',
  authority: 'change',
  http: { method: 'POST', path: '/v1/feedback', status: 202 },
  input: feedbackRequestSchema,
  output: { type: 'object', required: ['feedback'], properties: { feedback: { type: 'array', items: anyObject } } },
  run: async (c, req) => ({ feedback: await (await c.feedback()).send({ ...req, hoster: `analyst:${c.ctx.config.name}` }) }),
  audit: (req, { feedback }) => ({ action: 'feedback.send', details: { ref: req.ref, verdict: req.verdict, origins: feedback.map(s => s.name) } })
})

export const disputesListOp = defineOp({
  name: 'disputes.list',
  summary: 'feedback about our hashes, newest first (disputes only unless `all`)',
  authority: 'read',
  http: { method: 'GET', path: '/v1/disputes' },
  input: (z) => z.strictObject({ all: field.flag(z).optional() }),
  output: { type: 'object', required: ['feedback'], properties: { feedback: { type: 'array', items: anyObject } } },
  run: async (c, { all }) => ({ feedback: await (await c.feedback()).list({ all: all === true }) })
})
