import type { z } from 'zod'

/** The zod module, handed to schema builders: a CLI call to a running node never loads it. */
export type Zod = typeof z
import type { ComponentAccess } from '../node/component-access.js'
import type { NodeContext } from '../context/node-context.js'

/**
 * `read` operations change nothing (GET); `change` operations change the node and are sent as
 * POST, which the admin API's web guard refuses from a web page.
 */
export type Authority = 'read' | 'change'

/**
 * How an operation's input and answer travel over the admin API: a JSON request and answer
 * (default); `upload`: the input in the query, a file's bytes as the body, and an NDJSON
 * answer of progress lines and a summary; `stream`: a JSON-less answer streamed as it is made.
 */
export type Transport = 'json' | 'upload' | 'stream'

/** A progress event of a long operation (import). */
export interface OpProgress { phase: string, items: number, total?: number }

/** What an operation gets besides its parsed input. */
export interface OpIO {
  /** `upload` operations: the file's bytes, readable more than once (the import reads twice) */
  upload?: { open: () => AsyncIterable<Uint8Array>, bytes?: number }
  progress?: (p: OpProgress) => void
}

/** What the audit log keeps of a change. Never a reported URL, a note's text, a list's contents or a token. */
export interface AuditEntry { action: string, details: Record<string, unknown> }

/** A JSON schema of an answer, for the OpenAPI document only (answers are not filtered by it). */
export type ResponseSchema = Record<string, unknown>

export interface Operation<S extends z.ZodObject = z.ZodObject, O = unknown> {
  /** dotted name, e.g. `hashes.retract` */
  name: string
  /** one line for the API documentation */
  summary: string
  authority: Authority
  http: {
    method: 'GET' | 'POST'
    /** Fastify path; `:name` segments are input fields */
    path: string
    /** @default 200 */
    status?: number
    /** request body limit in bytes, when larger than the server's 1 MiB */
    bodyLimit?: (ctx: NodeContext) => number
  }
  /** @default 'json' */
  transport?: Transport
  /** builds the schema of every input field, path parameters included; strict: an unknown field is an error */
  input: (zod: Zod) => S
  /** the answer's schema (documentation) */
  output?: ResponseSchema
  /** appended to the "unknown field" message (reports: the node keeps no reporter identity) */
  unknownFieldHint?: string
  run: (c: ComponentAccess, input: z.output<S>, io: OpIO) => Promise<O>
  /** the audit record of a change; null: nothing changed (e.g. no node runs to reload) */
  audit?: (input: z.output<S>, output: O, c: ComponentAccess, io: OpIO) => AuditEntry | null
}

/** Declares an operation with its input and output types inferred. */
export function defineOp<S extends z.ZodObject, O> (op: Operation<S, O>): Operation<S, O> {
  if (op.authority === 'change' && op.http.method !== 'POST') throw new Error(`${op.name}: a change must be a POST`)
  return op
}

/** Any operation, as the table holds them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyOperation = Operation<z.ZodObject, any>

/** The names of an operation's path parameters (`/v1/reports/:id/status` → `id`). */
export function pathParams (op: AnyOperation): string[] {
  return [...op.http.path.matchAll(/:([A-Za-z_]+)/g)].map(m => m[1])
}

/**
 * Field types that read the same from JSON and from a query string or a command line, where
 * every value is text: `integer` takes 5 and "5", `flag` takes "true" and "false".
 */
export const field = {
  integer: (zod: Zod, min: number, max: number) => zod.coerce.number().int().min(min).max(max),
  flag: (zod: Zod) => zod.stringbool({ truthy: ['true'], falsy: ['false'] })
}
