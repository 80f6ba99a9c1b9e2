import { request as httpRequest, type IncomingMessage } from 'node:http'
import { hfError, ErrorCodes, HashfedError, type ErrorCode } from '../errors.js'
import { osUserName } from '../audit/audit-log.js'
import { ACTOR_HEADER } from '../api/request-actor.js'

/**
 * Talks to a running node's admin API; errors come back as the node's typed errors. It uses
 * node:http rather than fetch: loading fetch's implementation costs a CLI call more than the
 * rest of its start-up together.
 */
export class AdminClient {
  constructor (readonly baseUrl: string, private readonly token?: string) {}

  /** The response of a successful request, to read as a stream; errors become typed errors. */
  async raw (method: string, path: string, body?: unknown): Promise<IncomingMessage> {
    const payload = body !== undefined ? Buffer.from(JSON.stringify(body)) : undefined
    let res: IncomingMessage
    try {
      res = await new Promise<IncomingMessage>((resolve, reject) => {
        const req = httpRequest(this.baseUrl + path, {
          method,
          headers: {
            ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
            // the audit log records who acted; the node can vouch only for the token
            [ACTOR_HEADER]: osUserName(),
            ...(this.token !== undefined ? { authorization: `Bearer ${this.token}` } : {})
          }
        }, resolve)
        req.once('error', reject)
        req.end(payload)
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

  /** Reads an NDJSON response line by line. */
  async * ndjson (method: string, path: string, body?: unknown): AsyncIterable<Record<string, unknown>> {
    const res = await this.raw(method, path, body)
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

  get<T>(path: string): Promise<T> { return this.request<T>('GET', path) }
  post<T>(path: string, body?: unknown): Promise<T> { return this.request<T>('POST', path, body ?? {}) }
  delete<T>(path: string): Promise<T> { return this.request<T>('DELETE', path) }
}

async function readText (res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of res) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
