import type { FederationFile, Member } from '../config/federation.js'

/** The federation as the running node sees it: lookups by peer ID, name and country. */
export class FederationView {
  private byPeer = new Map<string, Member>()
  private byName = new Map<string, Member>()
  private byCountry = new Map<string, Member>()

  constructor (private file: FederationFile, readonly selfPeerId: string) {
    this.index()
  }

  private index (): void {
    this.byPeer = new Map(this.file.members.map(m => [m.peerId, m]))
    this.byName = new Map(this.file.members.map(m => [m.name.toLowerCase(), m]))
    this.byCountry = new Map(this.file.members.flatMap(m => m.countries.map(c => [c, m] as const)))
  }

  /** Swaps in an edited federation file; callers re-apply connections. */
  update (file: FederationFile): void {
    this.file = file
    this.index()
  }

  get name (): string { return this.file.name }
  get members (): Member[] { return this.file.members }
  /** whose votes apply a membership change here (absent: manual edits only) */
  get quorum (): FederationFile['membershipQuorum'] { return this.file.membershipQuorum }
  /** Every member but ourselves. */
  get others (): Member[] { return this.file.members.filter(m => m.peerId !== this.selfPeerId) }

  isMember (peerId: string): boolean { return this.byPeer.has(peerId) }
  byPeerId (peerId: string): Member | undefined { return this.byPeer.get(peerId) }
  byMemberName (name: string): Member | undefined { return this.byName.get(name.toLowerCase()) }
  /** The hotline responsible for a hosting country. */
  forCountry (country: string): Member | undefined { return this.byCountry.get(country) }
  /** Name for logs and tables; the peer ID itself when unknown. */
  nameOf (peerId: string): string { return this.byPeer.get(peerId)?.name ?? peerId }
  /** Mirrors publish nothing: only full members are origins. */
  isOrigin (peerId: string): boolean { const m = this.byPeer.get(peerId); return m !== undefined && m.mirrorOf === undefined }
}
