import assert from 'node:assert/strict'
import { Ajv, type ValidateFunction } from 'ajv'
import { checkApiDocument } from '../../src/check-api/openapi.js'

interface Operation { responses: Record<string, { content?: Record<string, { schema?: unknown }> }> }
type Doc = { paths: Record<string, Record<string, Operation>> }

/**
 * Holds every check API answer a test gets to the response schema the check port's OpenAPI
 * document gives for its route and status: the document is what hosters code against.
 */
export class CheckApiSchemas {
  private readonly ajv = new Ajv({ allErrors: true, strict: false })
  private readonly compiled = new Map<string, ValidateFunction>()
  private readonly templates: Array<{ path: string, re: RegExp }>

  constructor (private readonly doc: Doc) {
    this.ajv.addSchema(doc, 'openapi')
    this.templates = Object.keys(doc.paths).map(path => ({ path, re: new RegExp('^' + path.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+') + '$') }))
  }

  /** The document a check server with this prefix and token header publishes. */
  static for (init: { prefix?: string, tokenHeader?: string } = {}): CheckApiSchemas {
    return new CheckApiSchemas(checkApiDocument({ prefix: init.prefix ?? '', tokenHeader: init.tokenHeader, maxImageBytes: 20 * 1024 * 1024, maxHashes: 10_000, rateLimit: 200 }) as unknown as Doc)
  }

  /** Asserts `body` (parsed JSON, or text for text/plain) is what the document promises for `method url` answering `status`. */
  check (method: string, url: string, status: number, body: unknown): void {
    const path = new URL(url, 'http://x').pathname
    const template = this.templates.find(t => t.re.test(path))?.path
    assert.ok(template !== undefined, `${path} is not in the check API's OpenAPI document`)
    const op = this.doc.paths[template][method.toLowerCase()]
    assert.ok(op !== undefined, `${method} ${template} is not in the document`)
    const response = op.responses[String(status)]
    assert.ok(response !== undefined, `${method} ${template} answered ${status}, which the document does not list`)
    const [type] = Object.keys(response.content ?? {})
    assert.ok(type !== undefined, `${method} ${template} ${status} has no content schema`)
    const key = `${method} ${template} ${status}`
    let validate = this.compiled.get(key)
    if (validate === undefined) {
      const pointer = `openapi#/paths/${template.replace(/~/g, '~0').replace(/\//g, '~1')}/${method.toLowerCase()}/responses/${status}/content/${type.replace(/~/g, '~0').replace(/\//g, '~1')}/schema`
      validate = this.ajv.compile({ $ref: pointer })
      this.compiled.set(key, validate)
    }
    assert.ok(validate(body), `${key}: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 1500)}`)
  }
}
