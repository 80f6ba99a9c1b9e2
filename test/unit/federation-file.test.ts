import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { parseFederation } from '../../src/config/federation.js'

test('the example federation file in config/ is valid', async () => {
  const fed = parseFederation(JSON.parse(await readFile('config/federation.example.json', 'utf8')))
  assert.equal(fed.members.length, 2)
  assert.deepEqual(fed.members[1].countries, ['DE', 'AT'])
})
