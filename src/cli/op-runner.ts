import type { IncomingMessage } from 'node:http'
import { HashfedError, type ErrorCode } from '../errors.js'
import type { AnyOperation, Operation, OpIO, OpProgress } from '../ops/operation.js'
import { pathParams } from '../ops/operation.js'
import type { AdminClient } from './admin-client.js'
import { withNode } from './node-access.js'

/** Runs operations of the table for a CLI command: through a running node's admin API, or on the stopped node's own components. */
export interface OpRunner {
  /** whether a node runs (its admin API answered the command) */
  readonly running: boolean
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  run: <O>(op: Operation<any, O>, raw: Record<string, unknown>, io?: OpIO) => Promise<O>
}

/**
 * `fn` with the operations of the node folder `dirPath`. Either way the input is parsed by the
 * operation's own schema (by the running node, or here by the operation runner), so a bad
 * input fails with the same error whether the node runs or not.
 */
export async function withOps<T> (dirPath: string, fn: (ops: OpRunner) => Promise<T>): Promise<T> {
  return await withNode(dirPath, {
    remote: async (client) => await fn({
      running: true,
      // the node parses the input with the operation's schema: the same words as offline
      run: async (op, raw, io) => await remote(client, op as AnyOperation, raw, io) as never
    }),
    local: async (ctx) => {
      // a command on a stopped node opens the same components the node runs
      const [{ openOfflineComponents }, { runOperation }, { cliActor }, { createLogger }] = await Promise.all([import('../node/offline-components.js'), import('../ops/run-op.js'), import('../audit/audit-log.js'), import('../util/logger.js')])
      const logger = createLogger({ component: 'cli' }, process.stderr)
      logger.level = 'warn'
      const components = openOfflineComponents(ctx, logger)
      try {
        return await fn({ running: false, run: async (op, raw, io) => await runOperation(op, components, raw, cliActor(), io) })
      } finally {
        await components.close()
      }
    }
  })
}

async function remote (client: AdminClient, op: AnyOperation, raw: Record<string, unknown>, io: OpIO = {}): Promise<unknown> {
  const fields = { ...raw }
  let path = op.http.path
  for (const p of pathParams(op)) {
    path = path.replace(`:${p}`, encodeURIComponent(String(fields[p])))
    delete fields[p]
  }
  const inQuery = op.http.method === 'GET' || op.transport === 'upload'
  if (inQuery) {
    const query = new URLSearchParams(Object.entries(fields).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]))
    if (query.size > 0) path += `?${query.toString()}`
  }
  if (op.transport === 'upload') {
    if (io.upload === undefined) throw new Error(`${op.name}: no upload`)
    for await (const line of client.upload(path, io.upload.open())) {
      if (line.progress !== undefined) io.progress?.(line.progress as OpProgress)
      if (line.summary !== undefined) return line.summary
      if (line.error !== undefined) {
        const e = line.error as { code: ErrorCode, message: string, details?: Record<string, unknown> }
        throw new HashfedError(e.code, e.message, { details: e.details })
      }
    }
    throw new HashfedError('HF_NODE_UNREACHABLE', `the node closed ${op.name} without a summary`)
  }
  if (op.transport === 'stream') return await client.raw(op.http.method, path) as IncomingMessage
  return await client.request(op.http.method, path, inQuery ? undefined : fields)
}
