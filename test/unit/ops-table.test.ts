import { test } from 'node:test'
import assert from 'node:assert/strict'
import { OPERATIONS, hashesImportOp, reportsSubmitOp, reportsListOp, federationAddOp } from '../../src/ops/operations.js'
import { parseOpInput } from '../../src/ops/run-op.js'
import { isHashfedError } from '../../src/errors.js'
import { z } from 'zod'
import { parseWith } from '../../src/ops/parse-input.js'
import { checkRequestSchema, feedbackRequestSchema, hosterFeedbackSchema } from '../../src/check/check-requests.js'
import { checkOp, feedbackSendOp } from '../../src/ops/operations.js'

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

test('the check and feedback requests are declared once: hosters and analysts meet the same rules', () => {
  const sha = 'ab'.repeat(32)
  const extra = { hashes: [{ algorithm: 'sha256', value: sha, colour: 'red' }] }
  // the check API (fast path and route) and the admin API's check parse the same schema
  assert.throws(() => parseWith(checkRequestSchema(z), extra), refusal('unknown field "hashes.0.colour" (allowed: see the API documentation)', 'hashes.0.colour'))
  assert.throws(() => parseOpInput(checkOp, extra), refusal('unknown field "hashes.0.colour" (allowed: see the API documentation)', 'hashes.0.colour'))
  assert.throws(() => parseOpInput(checkOp, { hashes: [{ algorithm: 'sha256', value: 'x'.repeat(401) }] }), refusal('hashes.0.value: at most 400 characters'))
  const verdict = 'verdict: "maybe" is not one of confirmed, disputed'
  assert.throws(() => parseWith(hosterFeedbackSchema(z), { algorithm: 'sha256', value: sha, verdict: 'maybe' }), refusal(verdict))
  assert.throws(() => parseWith(feedbackRequestSchema(z), { ref: `sha256:${sha}`, verdict: 'maybe' }), refusal(verdict))
  assert.throws(() => parseOpInput(feedbackSendOp, { ref: `sha256:${sha}`, verdict: 'maybe' }), refusal(verdict))
  assert.throws(() => parseWith(hosterFeedbackSchema(z), { algorithm: 'sha256', value: sha, verdict: 'disputed', reason: 'x'.repeat(1001) }), refusal('reason: at most 1000 characters'))
})
