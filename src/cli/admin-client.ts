import { hfError, ErrorCodes, HashfedError, type ErrorCode } from '../errors.js'
import { osUserName } from '../audit/audit-log.js'
import { ACTOR_HEADER } from '../api/request-actor.js'
import { REQUEST_HEADER } from '../api/constants.js'

/** A request body: JSON, or a stream of bytes (an uploaded file). */
type Body = { json: unknown } | { bytes: AsyncIterable<Uint8Array> }

/** Talks to a running node's admin API; errors come back as the node's typed errors. */
export class AdminClient {
  constructor (readonly baseUrl: string, private readonly token?: string) {}

  /** The raw response of a successful request (for streamed bodies); errors become typed errors. */
  async raw (method: string, path: string, body?: unknown): Promise<Response> {
    return await this.send(method, path, body !== undefined ? { json: body } : undefined)
  }

  private async send (method: string, path: string, body?: Body): Promise<Response> {
    let res: Response
    try {
      res = await fetch(this.baseUrl + path, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'json' in body ? 'application/json' : 'application/octet-stream' }),
          // the admin API refuses changes a web page could send; this header is one no page can send cross-site
          [REQUEST_HEADER]: '1',
          // the audit log records who acted; the node can vouch only for the token
          [ACTOR_HEADER]: osUserName(),
          ...(this.token !== undefined ? { authorization: `Bearer ${this.token}` } : {})
        },
        ...(body === undefined ? {} : 'json' in body ? { body: JSON.stringify(body.json) } : { body: body.bytes as unknown as ReadableStream, duplex: 'half' })
      } as RequestInit)
    } catch (err) {
      throw hfError(ErrorCodes.NODE_UNREACHABLE, `the node's admin API at ${this.baseUrl} does not answer: ${(err as Error).message}`, undefined, err)
    }
    if (!res.ok) {
      const text = await res.text()
      let e: { code?: string, message?: string, details?: Record<string, unknown> } | undefined
      try { e = (JSON.parse(text) as { error?: typeof e }).error } catch {}
      throw new HashfedError((e?.code ?? ErrorCodes.INTERNAL) as ErrorCode, e?.message ?? `HTTP ${res.status}`, { details: e?.details })
    }
    return res
  }

  async request<T> (method: string, path: string, body?: unknown): Promise<T> {
    const text = await (await this.raw(method, path, body)).text()
    return (text.length > 0 ? JSON.parse(text) : undefined) as T
  }

  /** Reads an NDJSON response line by line. */
  async * ndjson (method: string, path: string, body?: unknown): AsyncIterable<Record<string, unknown>> {
    yield * ndjsonLines(await this.raw(method, path, body))
  }

  /** POSTs a stream of bytes (a file the CLI read; the node opens no path) and reads the NDJSON answer. */
  async * upload (path: string, bytes: AsyncIterable<Uint8Array>): AsyncIterable<Record<string, unknown>> {
    yield * ndjsonLines(await this.send('POST', path, { bytes }))
  }

  get<T>(path: string): Promise<T> { return this.request<T>('GET', path) }
  post<T>(path: string, body?: unknown): Promise<T> { return this.request<T>('POST', path, body ?? {}) }
  delete<T>(path: string): Promise<T> { return this.request<T>('DELETE', path) }
}

async function * ndjsonLines (res: Response): AsyncIterable<Record<string, unknown>> {
  const decoder = new TextDecoder()
  let buf = ''
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true })
    let nl
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl)
      buf = buf.slice(nl + 1)
      if (line.trim() !== '') yield JSON.parse(line) as Record<string, unknown>
    }
  }
}
