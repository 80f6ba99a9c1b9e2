/**
 * A decoded uint64 field as a JS number. protobufjs decodes uint64 as a `Long` object whenever
 * the `long` package is installed (it is, as a protobufjs dependency), whatever the generated
 * types say; every value we store (seq, counts, milliseconds) is far below 2^53.
 */
export function u64 (value: number | { toNumber: () => number } | null | undefined): number {
  if (value === null || value === undefined) return 0
  return typeof value === 'number' ? value : value.toNumber()
}
