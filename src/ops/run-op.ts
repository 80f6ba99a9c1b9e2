import { auditLogOf, type AuditActor } from '../audit/audit-log.js'
import type { ComponentAccess } from '../node/component-access.js'
import type { AnyOperation, OpIO } from './operation.js'
import { parseWith } from './parse-input.js'
import { inputSchema } from './input-schema.js'

/** Parses an operation's input with its one schema (see parse-input.ts). */
export function parseOpInput (op: AnyOperation, raw: unknown): Record<string, unknown> {
  return parseWith(inputSchema(op), raw, op.unknownFieldHint)
}

/**
 * Runs one operation wherever it is asked for — an admin API request or a CLI command on a
 * stopped node — and writes its audit record: the only place an operator action is recorded.
 */
export async function runOperation<O> (op: AnyOperation, c: ComponentAccess, raw: unknown, actor: AuditActor, io: OpIO = {}): Promise<O> {
  const input = parseOpInput(op, raw)
  const output = await op.run(c, input, io) as O
  const entry = op.audit?.(input, output, c, io)
  if (entry !== null && entry !== undefined) await auditLogOf(c.ctx.store).record(entry.action, entry.details, actor)
  return output
}
