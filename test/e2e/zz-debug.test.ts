import { test } from 'node:test'
import assert from 'node:assert/strict'
import { tempDir } from '../helpers/temp-dir.js'
import { CapturedLog, createFederation, waitFor } from '../helpers/federation.js'
import { randomAdds } from '../helpers/hashes.js'
import { HashfedNode } from '../../src/node/hashfed-node.js'

test('dbg big sync', { timeout: 300000 }, async () => {
  const root = await tempDir()
  const [aM, bM] = await createFederation(root, [{ name: 'A', countries: ['GB'] }, { name: 'B', countries: ['FR'] }])
  const a = await HashfedNode.start({ dir: aM.dir, logger: new CapturedLog().logger })
  for (let i = 0; i < 30; i++) await a.hashLog.append(a.ctx.identity, randomAdds(10000))
  const log = new CapturedLog()
  const t0 = Date.now()
  const b = await HashfedNode.start({ dir: bM.dir, logger: log.logger })
  const ok = await waitFor(() => b.hashLog.head(aM.peerId)?.seq === 30, 120000, 100)
  console.log(log.lines.filter(l => String(l.msg).includes('sync')).slice(0,5).map(l => JSON.stringify(l)).join('\n'))
  console.log('synced', ok, Date.now() - t0, b.hashLog.head(aM.peerId)?.seq, b.replicator.peerState(aM.peerId).lastError, a.replicator.peerState(bM.peerId).lastError)
  await b.stop(); await a.stop()
})
