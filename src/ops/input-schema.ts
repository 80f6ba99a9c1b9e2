import { z } from 'zod'
import type { AnyOperation } from './operation.js'

const built = new WeakMap<AnyOperation, z.ZodObject>()

/** An operation's input schema, built on first use (the declarations hold builders; see operation.ts). */
export function inputSchema (op: AnyOperation): z.ZodObject {
  let schema = built.get(op)
  if (schema === undefined) {
    schema = op.input(z)
    built.set(op, schema)
  }
  return schema
}
