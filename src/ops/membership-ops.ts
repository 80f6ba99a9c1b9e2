import { defineOp } from './operation.js'

const str = { type: 'string' } as const
const proposalSchema = {
  type: 'object',
  required: ['id', 'action', 'name', 'peerId', 'countries', 'proposer', 'votes', 'counted', 'applied'],
  properties: {
    id: str,
    action: { type: 'string', enum: ['add', 'remove'] },
    name: str,
    peerId: str,
    countries: { type: 'array', items: str },
    proposer: str,
    votes: { type: 'array', items: str },
    counted: { type: 'integer', minimum: 0 },
    required: { type: ['integer', 'null'] },
    applied: { type: 'boolean' }
  }
} as const

export const membersProposalsOp = defineOp({
  name: 'members.proposals',
  summary: 'membership changes proposed in the federation, their votes, and whether our quorum applied them',
  authority: 'read',
  http: { method: 'GET', path: '/v1/members/proposals' },
  input: (z) => z.strictObject({}),
  output: { type: 'object', required: ['proposals'], properties: { proposals: { type: 'array', items: proposalSchema } } },
  run: async (c) => ({ proposals: await (await c.membership()).list() })
})

export const membersProposeOp = defineOp({
  name: 'members.propose',
  summary: 'propose adding or removing a member; sent to every member with our vote',
  authority: 'change',
  http: { method: 'POST', path: '/v1/members/proposals' },
  input: (z) => z.strictObject({
    action: z.enum(['add', 'remove']),
    name: z.string().min(1).max(64),
    peerId: z.string().min(1).max(128),
    countries: z.array(z.string().length(2)).max(64).optional(),
    addresses: z.array(z.string().max(256)).max(64).optional(),
    recoveryKey: z.string().max(128).optional()
  }),
  output: proposalSchema,
  run: async (c, input) => await (await c.membership()).propose(input),
  audit: (i, out) => ({ action: 'members.propose', details: { id: out.id, action: i.action, name: i.name, peerId: i.peerId, countries: i.countries ?? [] } })
})

export const membersCosignOp = defineOp({
  name: 'members.cosign',
  summary: 'vote for a membership change (a co-signature), sent to every member',
  authority: 'change',
  http: { method: 'POST', path: '/v1/members/proposals/:id/cosign' },
  input: (z) => z.strictObject({ id: z.string().uuid() }),
  output: proposalSchema,
  run: async (c, { id }) => await (await c.membership()).cosign(id),
  audit: (i, out) => ({ action: 'members.cosign', details: { id: i.id, name: out.name, applied: out.applied } })
})
