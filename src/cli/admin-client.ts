import { hfError, ErrorCodes, HashfedError, type ErrorCode } from '../errors.js'

/** Talks to a running node's admin API; errors come back as the node's typed errors. */
export class AdminClient {
  constructor (readonly baseUrl: string, private readonly token?: string) {}

  async request<T> (method: string, path: string, body?: unknown): Promise<T> {
    let res: Response
    try {
      res = await fetch(this.baseUrl + path, {
        method,
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(this.token !== undefined ? { authorization: `Bearer ${this.token}` } : {})
        },
        body: body !== undefined ? JSON.stringify(body) : undefined
      })
    } catch (err) {
      throw hfError(ErrorCodes.NODE_UNREACHABLE, `the node's admin API at ${this.baseUrl} does not answer: ${(err as Error).message}`, undefined, err)
    }
    const text = await res.text()
    const data = text.length > 0 ? JSON.parse(text) as unknown : undefined
    if (!res.ok) {
      const e = (data as { error?: { code?: string, message?: string, details?: Record<string, unknown> } } | undefined)?.error
      throw new HashfedError((e?.code ?? ErrorCodes.INTERNAL) as ErrorCode, e?.message ?? `HTTP ${res.status}`, { details: e?.details })
    }
    return data as T
  }

  get<T>(path: string): Promise<T> { return this.request<T>('GET', path) }
  post<T>(path: string, body?: unknown): Promise<T> { return this.request<T>('POST', path, body ?? {}) }
  delete<T>(path: string): Promise<T> { return this.request<T>('DELETE', path) }
}
