import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import { peerIdFromString } from '@libp2p/peer-id'
import { hfError, ErrorCodes } from '../errors.js'
import { countryCode, multiaddrString, writeJsonAtomic } from './node-config.js'
import { describeIssues } from './validation.js'

/** 2 adds members' `recoveryKey` (key lifecycle); version 1 files load unchanged. */
export const FEDERATION_VERSION = 2

const peerIdString = z.string().refine((s) => {
  try { return peerIdFromString(s).type === 'Ed25519' } catch { return false }
}, { message: 'not an Ed25519 libp2p peer ID (it starts with 12D3KooW; copy it from the member\'s `hashfed init` output)' })

const memberSchema = z.strictObject({
  name: z.string().min(1).max(64),
  peerId: peerIdString,
  /** ISO 3166-1 alpha-2 codes this hotline is responsible for */
  countries: z.array(countryCode).default([]),
  addresses: z.array(multiaddrString).default([]),
  /** this node is a read-only mirror of the named member */
  mirrorOf: z.string().optional(),
  /**
   * public half of the member's offline recovery key (a peer ID, made by `init`): the only key
   * whose revocation of the member's signing key this node accepts
   */
  recoveryKey: peerIdString.optional()
})

const federationSchema = z.strictObject({
  version: z.union([z.literal(1), z.literal(FEDERATION_VERSION)]),
  name: z.string().default('hashfed federation'),
  members: z.array(memberSchema),
  /**
   * membership changes proposed by members are applied here once `required` of the named
   * members (whom this operator trusts) have voted for them; absent: manual edits only
   */
  membershipQuorum: z.strictObject({
    required: z.number().int().min(1),
    of: z.array(z.string().min(1)).min(1)
  }).optional()
}).superRefine((fed, ctx) => {
  const names = new Map<string, number>()
  const ids = new Map<string, number>()
  const countries = new Map<string, number>()
  fed.members.forEach((m, i) => {
    const dupName = names.get(m.name.toLowerCase())
    if (dupName !== undefined) ctx.addIssue({ code: 'custom', path: ['members', i, 'name'], message: `duplicate member "${m.name}" (also members.${dupName}): remove one of them` })
    names.set(m.name.toLowerCase(), i)
    const dupId = ids.get(m.peerId)
    if (dupId !== undefined) ctx.addIssue({ code: 'custom', path: ['members', i, 'peerId'], message: `peer ID also used by members.${dupId} ("${fed.members[dupId].name}"): each member has its own key` })
    ids.set(m.peerId, i)
    if (m.mirrorOf !== undefined && m.countries.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['members', i, 'countries'], message: 'a mirror covers no countries: remove them (its member does)' })
    }
    for (const c of m.countries) {
      const other = countries.get(c)
      if (other !== undefined) ctx.addIssue({ code: 'custom', path: ['members', i, 'countries'], message: `country ${c} is also claimed by members.${other} ("${fed.members[other].name}"): one hotline is responsible per country` })
      countries.set(c, i)
    }
  })
  const q = fed.membershipQuorum
  if (q !== undefined) {
    q.of.forEach((n, i) => { if (!names.has(n.toLowerCase())) ctx.addIssue({ code: 'custom', path: ['membershipQuorum', 'of', i], message: `"${n}" is not a member of this federation` }) })
    if (q.required > q.of.length) ctx.addIssue({ code: 'custom', path: ['membershipQuorum', 'required'], message: `${q.required} votes required of ${q.of.length} members named: it could never be met` })
  }
  fed.members.forEach((m, i) => {
    if (m.mirrorOf !== undefined && (!names.has(m.mirrorOf.toLowerCase()) || fed.members[names.get(m.mirrorOf.toLowerCase())!].mirrorOf !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['members', i, 'mirrorOf'], message: `"${m.mirrorOf}" is not a (non-mirror) member of this federation` })
    }
  })
})

export type FederationFile = z.output<typeof federationSchema>
export type Member = FederationFile['members'][number]

export function parseFederation (data: unknown, file = 'federation.json'): FederationFile {
  const result = federationSchema.safeParse(data)
  if (!result.success) throw hfError(ErrorCodes.INVALID_FEDERATION, describeIssues(file, result.error), { file })
  return result.data
}

export async function loadFederation (path: string): Promise<FederationFile> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw hfError(ErrorCodes.INVALID_FEDERATION, `cannot read federation file ${path}`, { file: path }, err)
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    throw hfError(ErrorCodes.INVALID_FEDERATION, `${path}: not valid JSON: ${(err as Error).message}`, { file: path })
  }
  return parseFederation(data, path)
}

export async function saveFederation (path: string, fed: FederationFile): Promise<void> {
  parseFederation(fed, path)
  await writeJsonAtomic(path, fed)
}

/** Adds a member, or replaces the one with the same name; validated as a whole before writing. */
export function withMember (fed: FederationFile, member: Member): FederationFile {
  // a replaced member keeps its place (an address change does not reorder the file)
  const at = fed.members.findIndex(m => m.name.toLowerCase() === member.name.toLowerCase())
  const members = at < 0 ? [...fed.members, member] : fed.members.map((m, i) => i === at ? member : m)
  return parseFederation({ ...fed, members })
}

/**
 * The federation without one member, named by member name or peer ID; validated as a whole
 * (a mirror of the member must go first, unless `dropMirrors`: a voted removal takes them along).
 * The membership quorum forgets the member. HF_NOT_FOUND when no member matches.
 */
export function withoutMember (fed: FederationFile, nameOrPeerId: string, dropMirrors = false): { federation: FederationFile, removed: Member } {
  const key = nameOrPeerId.trim()
  const removed = fed.members.find(m => m.name.toLowerCase() === key.toLowerCase() || m.peerId === key)
  if (removed === undefined) throw hfError(ErrorCodes.NOT_FOUND, `no member "${key.slice(0, 100)}" in the federation`, { member: key.slice(0, 100) })
  const gone = removed.name.toLowerCase()
  const members = fed.members.filter(m => m !== removed && !(dropMirrors && m.mirrorOf?.toLowerCase() === gone))
  const q = fed.membershipQuorum
  const of = q?.of.filter(n => n.toLowerCase() !== gone)
  const membershipQuorum = q === undefined || of === undefined || of.length === 0 ? undefined : { required: Math.min(q.required, of.length), of }
  return { federation: parseFederation({ ...fed, members, membershipQuorum }), removed }
}
