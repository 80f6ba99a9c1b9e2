import { hfError, ErrorCodes } from '../errors.js'
import type { Hold, OriginWord, QuarantineService } from '../check/quarantine-service.js'
import type { ComponentAccess } from '../node/component-access.js'
import { defineOp } from './operation.js'

const anyObject = { type: 'object', additionalProperties: true } as const
const refField = (z: Parameters<Parameters<typeof defineOp>[0]['input']>[0]) => z.string().min(3).max(400).meta({ description: 'ALG:VALUE of the stored hash' })
const reasonField = (z: Parameters<Parameters<typeof defineOp>[0]['input']>[0]) => z.string().trim().min(1).max(500)

/** A hold as the operator views show it: with the origin's word and names. */
export interface HoldView extends Omit<Hold, 'sinceMs' | 'untilMs' | 'origins'> {
  since: string
  until?: string
  origins: Array<{ name: string, peerId: string }>
  originSaid?: OriginWord | { decision: 'retracted' }
}

async function viewOf (c: ComponentAccess, q: QuarantineService, h: Hold): Promise<HoldView> {
  const { sinceMs, untilMs, origins, ...rest } = h
  const view: HoldView = { ...rest, since: new Date(sinceMs).toISOString(), origins: origins.map(p => ({ name: c.ctx.federation.nameOf(p), peerId: p })) }
  if (untilMs !== undefined) view.until = new Date(untilMs).toISOString()
  const word = q.originWord(h.ref)
  if (word !== undefined) view.originSaid = word
  else if (origins.length > 0) {
    // every origin that vouched when it was held has retracted it since
    const shown = await (await c.hashLists()).show(h.ref)
    const current = (shown.origins as Array<{ origin: string, retracted?: unknown }>).filter(o => o.retracted === undefined)
    if (current.length === 0) view.originSaid = { decision: 'retracted' }
  }
  return view
}

export const quarantineListOp = defineOp({
  name: 'quarantine.list',
  summary: 'hashes held on this node (automatically or by an operator), and notices other nodes sent about our hashes',
  authority: 'read',
  http: { method: 'GET', path: '/v1/quarantine' },
  input: (z) => z.strictObject({}),
  output: { type: 'object', required: ['held', 'notices'], properties: { held: { type: 'array', items: anyObject }, notices: { type: 'array', items: anyObject } } },
  run: async (c) => {
    const q = await c.quarantine()
    const held: HoldView[] = []
    for (const h of q.list()) held.push(await viewOf(c, q, h))
    return { held, notices: await q.notices() }
  }
})

export const quarantineShowOp = defineOp({
  name: 'quarantine.show',
  summary: 'one hash: its hold here, its counts, what its origin said, and the notices about it (at its origin)',
  authority: 'read',
  http: { method: 'GET', path: '/v1/quarantine/show' },
  input: (z) => z.strictObject({ ref: refField(z) }),
  output: anyObject,
  run: async (c, { ref }) => {
    const q = await c.quarantine()
    const norm = (await (await c.hashLists()).show(ref))
    const key = `${norm.algorithm}:${norm.value}`
    const h = q.held(key)
    return {
      ref: key,
      held: h !== undefined ? await viewOf(c, q, h) : null,
      counts: q.counter.counts(key, Date.now()),
      originSaid: q.originWord(key) ?? null,
      origins: norm.origins,
      notices: await q.notices(key)
    }
  }
})

export const quarantineConfirmOp = defineOp({
  name: 'quarantine.confirm',
  summary: 'as the origin: the held hash is right; a signed confirmation to every member releases its holds and raises its thresholds',
  authority: 'change',
  http: { method: 'POST', path: '/v1/quarantine/confirm' },
  input: (z) => z.strictObject({ ref: refField(z), reason: reasonField(z) }),
  output: anyObject,
  run: async (c, { ref, reason }) => await (await c.quarantine()).confirm(ref, reason),
  audit: ({ ref, reason }, res) => ({ action: 'quarantine.confirm', details: { ref: res.ref, reason, decisionId: res.id, members: res.sentTo.length, input: ref } })
})

function releaseOp (name: 'quarantine.release' | 'match.release', path: string) {
  return defineOp({
    name,
    summary: 'end the hold on a hash on this node (automatic or operator); its matches count again',
    authority: 'change',
    http: { method: 'POST', path },
    input: (z) => z.strictObject({ ref: refField(z) }),
    output: anyObject,
    run: async (c, { ref }) => {
      const h = await (await c.quarantine()).release(ref)
      return { ref: h.ref, released: true, kind: h.kind }
    },
    audit: (_i, res) => ({ action: name, details: { ref: res.ref, kind: res.kind } })
  })
}
export const quarantineReleaseOp = releaseOp('quarantine.release', '/v1/quarantine/release')
export const matchReleaseOp = releaseOp('match.release', '/v1/match/release')

export const matchHoldOp = defineOp({
  name: 'match.hold',
  summary: 'hold one hash on this node (checks answer held, not a match) until a time or a release, without switching off its origin',
  authority: 'change',
  http: { method: 'POST', path: '/v1/match/hold' },
  input: (z) => z.strictObject({ ref: refField(z), reason: reasonField(z), until: z.string().max(64).optional().meta({ description: 'ISO 8601 time the hold ends by itself' }) }),
  output: anyObject,
  run: async (c, { ref, reason, until }) => {
    let untilMs: number | undefined
    if (until !== undefined) {
      untilMs = Date.parse(until)
      if (!Number.isFinite(untilMs)) throw hfError(ErrorCodes.INVALID_ARGUMENT, 'until: an ISO 8601 time, e.g. 2026-12-31T12:00:00Z', { field: 'until' })
    }
    const q = await c.quarantine()
    return await viewOf(c, q, await q.hold(ref, { reason, ...(untilMs !== undefined ? { untilMs } : {}) }))
  },
  audit: ({ reason }, res) => ({ action: 'match.hold', details: { ref: res.ref, reason, until: res.until } })
})

export const hashesBenignOp = defineOp({
  name: 'hashes.benign',
  summary: 'publish (or withdraw) signed benign entries in our log: values that are not abuse material; trusting nodes suppress matches on them',
  authority: 'change',
  http: { method: 'POST', path: '/v1/hashes/benign' },
  input: (z) => z.strictObject({ refs: z.array(refField(z)).min(1).max(10_000), reason: reasonField(z), withdraw: z.boolean().optional() }),
  output: anyObject,
  run: async (c, { refs, reason, withdraw }) => await (await c.hashLists()).benign(refs, reason, { withdraw: withdraw === true }),
  audit: ({ refs, reason, withdraw }, res) => ({ action: 'hashes.benign', details: { refs: refs.slice(0, 20), count: refs.length, reason, withdraw: withdraw === true, seq: res.seq } })
})

export const benignListOp = defineOp({
  name: 'benign.list',
  summary: 'benign entries of every member known here (running node), with who published them',
  authority: 'read',
  http: { method: 'GET', path: '/v1/benign' },
  input: (z) => z.strictObject({}),
  output: { type: 'object', required: ['benign'], properties: { benign: { type: 'array', items: anyObject } } },
  run: async (c) => ({ benign: (await c.match()).benign.list().map(b => ({ ...b, by: c.ctx.federation.nameOf(b.origin) })) })
})
