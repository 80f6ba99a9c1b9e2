// The lock lives in util/lock.ts; this path stays until outbox.ts and inbox.ts (moving to the
// courier) import it from there.
export { KeyedLock } from '../util/lock.js'
