/** Prints rows as an aligned text table (the default) — `--json` prints the data instead. */
export function table (rows: Array<Record<string, unknown>>, columns?: string[]): string {
  if (rows.length === 0) return '(none)'
  const cols = columns ?? Object.keys(rows[0])
  const cells = rows.map(r => cols.map(c => cellText(r[c])))
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map(row => row[i].length)))
  const line = (vals: string[]): string => vals.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd()
  return [line(cols.map(c => c.toUpperCase())), ...cells.map(line)].join('\n')
}

function cellText (v: unknown): string {
  if (v === null || v === undefined) return '-'
  if (Array.isArray(v)) return v.join(',')
  if (typeof v === 'boolean') return v ? 'yes' : 'no'
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}

export function printJson (data: unknown): void {
  process.stdout.write(JSON.stringify(data, null, 2) + '\n')
}

export function shortPeerId (id: string): string {
  return id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-6)}` : id
}
