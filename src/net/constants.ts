/** First redial delay after a failed dial or a lost connection. */
export const RECONNECT_MIN_MS = 500
/** Cap of the exponential backoff: a member back online is found within this time. */
export const RECONNECT_MAX_MS = 30_000
/** How often connected members are pinged for round-trip time (cheap: a few bytes). */
export const PING_INTERVAL_MS = 10_000
/** A dial that takes longer than this is abandoned and retried with backoff. */
export const DIAL_TIMEOUT_MS = 10_000
/**
 * Offences (failed verification, protocol breaches) within PENALTY_WINDOW_MS that cut a peer
 * off. An honest member's node offends only through a bug or a fork of some origin, which is
 * rare and one-off; five in a minute is a pattern.
 */
export const PENALTY_THRESHOLD = 5
export const PENALTY_WINDOW_MS = 60_000
/** How long a cut-off peer is refused: long enough to stop a loop, short enough to self-heal. */
export const PENALTY_BAN_MS = 5 * 60_000
/**
 * Time an inbound connection has to finish its Noise handshake and muxer negotiation (libp2p's
 * default is 10 s). A member completes it in a few round trips, well under a second even across
 * continents; a socket that sends nothing holds one of the pending slots no longer than this.
 */
export const INBOUND_UPGRADE_TIMEOUT_MS = 5_000
/**
 * Inbound connections allowed to be in their handshake at once (libp2p's default is 10, which
 * ten silent sockets fill). Each costs a socket and a few buffers; members' addresses do not
 * count against it (see createNodeLibp2p), so this only shares the rest among outsiders.
 */
export const MAX_INBOUND_PENDING_CONNECTIONS = 64
