import { test } from 'node:test'
import assert from 'node:assert/strict'
import { z } from 'zod'
import { checkRequestSchema, isPlainCheckRequest } from '../../src/check/check-requests.js'

const schema = checkRequestSchema(z)

/** Bodies at and beyond every edge of the schema, as JSON text (what a hoster sends). */
const EDGES: string[] = [
  '{"hashes":[]}',
  '{"hashes":[{"algorithm":"sha256","value":"ab"}]}',
  '{"hashes":[{"algorithm":"sha256","value":"ab","quality":0}]}',
  '{"hashes":[{"algorithm":"sha256","value":"ab","quality":100}]}',
  '{"hashes":[{"algorithm":"sha256","value":"ab","quality":101}]}',
  '{"hashes":[{"algorithm":"sha256","value":"ab","quality":-1}]}',
  '{"hashes":[{"algorithm":"sha256","value":"ab","quality":50.5}]}',
  '{"hashes":[{"algorithm":"sha256","value":"ab","quality":"50"}]}',
  '{"hashes":[{"algorithm":"sha256","value":"ab","quality":null}]}',
  '{"hashes":[{"algorithm":"sha256","value":"ab","qualty":50}]}',
  '{"hashes":[{"algorithm":"sha256","value":"ab","extra":1}]}',
  '{"hashes":[{"algorithm":"sha256"}]}',
  '{"hashes":[{"value":"ab"}]}',
  '{"hashes":[{"algorithm":1,"value":"ab"}]}',
  '{"hashes":[{"algorithm":"sha256","value":null}]}',
  `{"hashes":[{"algorithm":"${'a'.repeat(16)}","value":"ab"}]}`,
  `{"hashes":[{"algorithm":"${'a'.repeat(17)}","value":"ab"}]}`,
  `{"hashes":[{"algorithm":"sha256","value":"${'a'.repeat(400)}"}]}`,
  `{"hashes":[{"algorithm":"sha256","value":"${'a'.repeat(401)}"}]}`,
  '{"hashes":[{"algorithm":"sha256","value":"ab","__proto__":{"x":1}}]}',
  '{"__proto__":{"hashes":[]},"hashes":[]}',
  '{"hashes":[["sha256","ab"]]}',
  '{"hashes":[null]}',
  '{"hashes":["sha256:ab"]}',
  '{"hashes":{"0":{"algorithm":"sha256","value":"ab"}}}',
  '{"hashes":[],"extra":true}',
  '{"hashes":null}',
  '{}',
  '[]',
  'null',
  '"hashes"',
  '{"hashes":[{"algorithm":"sha256","value":"ab"},{"algorithm":"pdq","value":"cd","quality":7,"x":0}]}'
]

test('the check API\'s plain-shape test accepts only what the zod schema accepts, and the same value', () => {
  let plain = 0
  for (const text of EDGES) {
    const body: unknown = JSON.parse(text)
    const zod = schema.safeParse(body)
    if (isPlainCheckRequest(body)) {
      plain++
      assert.ok(zod.success, `taken as plain but refused by the schema: ${text}`)
      assert.deepEqual(body, zod.data, `taken as plain but the schema gives another value: ${text}`)
    }
  }
  assert.ok(plain >= 5, `the plain shape is taken (${plain})`)
})

test('the plain-shape test agrees with the schema over random bodies', () => {
  const keys = ['algorithm', 'value', 'quality', 'qualty', 'hashes', '']
  const values = (): unknown => {
    const r = Math.random()
    return r < 0.3 ? 'x'.repeat(Math.floor(Math.random() * 20)) : r < 0.5 ? Math.floor(Math.random() * 120) - 10 : r < 0.55 ? 1.5 : r < 0.6 ? null : r < 0.65 ? [] : r < 0.7 ? {} : 'sha256'
  }
  let plain = 0
  for (let n = 0; n < 5000; n++) {
    const hashes = Array.from({ length: Math.floor(Math.random() * 3) }, () => {
      if (Math.random() < 0.6) {
        const h: Record<string, unknown> = { algorithm: 'sha256', value: 'ab'.repeat(Math.floor(Math.random() * 210)) }
        if (Math.random() < 0.5) h.quality = Math.floor(Math.random() * 110) - 5
        if (Math.random() < 0.2) h[keys[Math.floor(Math.random() * keys.length)]] = values()
        return h
      }
      return Object.fromEntries(Array.from({ length: Math.floor(Math.random() * 4) }, () => [keys[Math.floor(Math.random() * keys.length)], values()]))
    })
    const body: unknown = JSON.parse(JSON.stringify(Math.random() < 0.9 ? { hashes } : { hashes, [keys[Math.floor(Math.random() * keys.length)]]: values() }))
    const zod = schema.safeParse(body)
    if (isPlainCheckRequest(body)) {
      plain++
      assert.ok(zod.success, JSON.stringify(body))
      assert.deepEqual(body, zod.data)
    }
  }
  assert.ok(plain > 1000, `plain bodies seen: ${plain}`)
})
