import { test } from 'node:test'
import assert from 'node:assert/strict'
import { OPERATIONS, hashesImportOp, reportsSubmitOp, reportsListOp, federationAddOp } from '../../src/ops/operations.js'
import { parseOpInput } from '../../src/ops/run-op.js'
import { isHashfedError } from '../../src/errors.js'

const refusal = (message: string, field?: string) => (e: unknown) => isHashfedError(e, 'HF_INVALID_ARGUMENT') && e.message === message && (field === undefined || e.details?.field === field)

test('the operation table: one route per operation, every change a POST with an audit record', () => {
  const routes = OPERATIONS.map(op => `${op.http.method} ${op.http.path}`)
  assert.equal(new Set(routes).size, routes.length, 'no route twice')
  assert.equal(new Set(OPERATIONS.map(op => op.name)).size, OPERATIONS.length, 'no name twice')
  for (const op of OPERATIONS) {
    if (op.authority === 'change') {
      assert.equal(op.http.method, 'POST', op.name)
      assert.ok(op.audit !== undefined, `${op.name} is audited`)
    } else {
      assert.equal(op.audit, undefined, `${op.name} changes nothing and records nothing`)
    }
  }
})

test('one parse, one wording: unknown fields, bad values, missing fields', () => {
  assert.throws(() => parseOpInput(hashesImportOp, { format: 'txt' }), refusal('format: "txt" is not one of lines, csv, ncmec-xml, vics-json, icse-csv, hma-csv, stopncii-json', 'format'))
  assert.throws(() => parseOpInput(hashesImportOp, {}), refusal('format is required', 'format'))
  assert.throws(() => parseOpInput(reportsSubmitOp, { url: 'https://example.nl/x', reporter: 'jan' }), refusal('unknown field "reporter" (allowed: url, ip, country, hoster, asn, classification, media, hashes, note); hashfed keeps no reporter identity', 'reporter'))
  assert.throws(() => parseOpInput(reportsListOp, { limit: '0' }), refusal('limit: at least 1', 'limit'))
  assert.throws(() => parseOpInput(reportsListOp, { limit: 'many' }), refusal('limit: expected a number, got "many"', 'limit'))
  assert.throws(() => parseOpInput(federationAddOp, { name: 'x'.repeat(65), peerId: 'p' }), refusal('name: at most 64 characters', 'name'))
  // a query string's text and JSON's number are the same input
  assert.deepEqual(parseOpInput(reportsListOp, { limit: '5' }), parseOpInput(reportsListOp, { limit: 5 }))
})
