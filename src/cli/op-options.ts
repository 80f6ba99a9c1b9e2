import type { AnyOperation } from '../ops/operation.js'

/**
 * The allowed values of an operation's input field, for a command-line option's help: read from
 * the operation's schema, so the help lists exactly what the operation accepts.
 */
export function choicesOf (op: AnyOperation, field: string, separator = ' | '): string {
  const schema = op.input.shape[field] as { unwrap?: () => unknown, options?: readonly unknown[] } | undefined
  let s = schema
  // optional fields wrap the enum
  while (s !== undefined && s.options === undefined && typeof s.unwrap === 'function') s = s.unwrap() as typeof s
  if (s?.options === undefined) throw new Error(`${op.name}.${field} is not a choice`)
  return s.options.map(String).join(separator)
}
