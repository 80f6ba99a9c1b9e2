import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http'
import { hfError, ErrorCodes, HashfedError, type ErrorCode } from '../errors.js'
import { osUserName } from '../audit/audit-log.js'
import { ACTOR_HEADER } from '../api/request-actor.js'
import { REQUEST_HEADER } from '../api/constants.js'

/** A request body: JSON, or a stream of bytes (an uploaded file). */
type Body = { json: unknown } | { bytes: AsyncIterable<Uint8Array> }

/**
 * Talks to a running node's admin API; errors come back as the node's typed errors. It uses
 * node:http rather than fetch: loading fetch's implementation costs a CLI call more than the
 * rest of its start-up together.
 */
export class AdminClient {
  constructor (readonly baseUrl: string, private readonly token?: string) {}

  /** The response of a successful request, to read as a stream; errors become typed errors. */
  async raw (method: string, path: string, body?: unknown): Promise<IncomingMessage> {
    return await this.send(method, path, body !== undefined ? { json: body } : undefined)
  }

  private async send (method: string, path: string, body?: Body): Promise<IncomingMessage> {
    const payload = body !== undefined && 'json' in body ? Buffer.from(JSON.stringify(body.json)) : undefined
    let res: IncomingMessage
    try {
      res = await new Promise<IncomingMessage>((resolve, reject) => {
        const req = httpRequest(this.baseUrl + path, {
          method,
          headers: {
            ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
            ...(body !== undefined && 'bytes' in body ? { 'content-type': 'application/octet-stream' } : {}),
            // the admin API refuses changes a web page could send; this header is one no page can send cross-site
            [REQUEST_HEADER]: '1',
            // the audit log records who acted; the node can vouch only for the token
            [ACTOR_HEADER]: osUserName(),
            ...(this.token !== undefined ? { authorization: `Bearer ${this.token}` } : {})
          }
        }, resolve)
        req.once('error', reject)
        if (body !== undefined && 'bytes' in body) void pump(body.bytes, req).catch((err: Error) => req.destroy(err))
        else req.end(payload)
      })
    } catch (err) {
      throw hfError(ErrorCodes.NODE_UNREACHABLE, `the node's admin API at ${this.baseUrl} does not answer: ${(err as Error).message}`, undefined, err)
    }
    const status = res.statusCode ?? 0
    if (status < 200 || status > 299) {
      const text = await readText(res)
      let e: { code?: string, message?: string, details?: Record<string, unknown> } | undefined
      try { e = (JSON.parse(text) as { error?: typeof e }).error } catch {}
      throw new HashfedError((e?.code ?? ErrorCodes.INTERNAL) as ErrorCode, e?.message ?? `HTTP ${status}`, { details: e?.details })
    }
    return res
  }

  async request<T> (method: string, path: string, body?: unknown): Promise<T> {
    const text = await readText(await this.raw(method, path, body))
    return (text.length > 0 ? JSON.parse(text) : undefined) as T
  }

  /** POSTs a stream of bytes (a file the CLI read; the node opens no path) and reads the NDJSON answer. */
  async * upload (path: string, bytes: AsyncIterable<Uint8Array>): AsyncIterable<Record<string, unknown>> {
    yield * ndjsonLines(await this.send('POST', path, { bytes }))
  }
}

/** Writes a byte stream into a request body, waiting for 'drain' so a large file is never held in memory. */
async function pump (bytes: AsyncIterable<Uint8Array>, req: ClientRequest): Promise<void> {
  for await (const chunk of bytes) {
    if (!req.write(chunk)) await new Promise<void>((resolve, reject) => { req.once('drain', resolve); req.once('error', reject) })
  }
  req.end()
}

async function * ndjsonLines (res: IncomingMessage): AsyncIterable<Record<string, unknown>> {
  const decoder = new TextDecoder()
  let buf = ''
  for await (const chunk of res as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true })
    let nl
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl)
      buf = buf.slice(nl + 1)
      if (line.trim() !== '') yield JSON.parse(line) as Record<string, unknown>
    }
  }
}

async function readText (res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of res) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
