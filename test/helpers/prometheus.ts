import { spawn } from 'node:child_process'

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface Scrape {
  samples: Sample[]
  /** family name -> declared TYPE */
  types: Map<string, string>
  /** family names with a HELP line */
  helps: Set<string>
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

/**
 * Reads the sample lines of a text exposition. promtool checks the format itself; this only
 * lets a test look values up.
 */
export function parseScrape (text: string): Scrape {
  const scrape: Scrape = { samples: [], types: new Map(), helps: new Set() }
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line)
    if (meta !== null) {
      if (meta[1] === 'TYPE') scrape.types.set(meta[2], meta[3])
      else scrape.helps.add(meta[2])
      continue
    }
    const m = SAMPLE.exec(line)
    if (m === null) throw new Error(`not a sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]] = l[2].replace(/\\(.)/g, (_s, c: string) => c === 'n' ? '\n' : c)
    scrape.samples.push({ name: m[1], labels, value: Number(m[3]) })
  }
  return scrape
}

/** The value of the one sample of `name` whose labels include `labels`; undefined when none. */
export function valueOf (scrape: Scrape, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = scrape.samples.filter(s => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`)
  return found[0]?.value
}

/** `promtool check metrics` over the text (stdin): its exit code and what it printed. */
export async function promtoolCheck (text: string): Promise<{ code: number | null, output: string }> {
  return await new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => { output += d.toString() })
    child.stderr.on('data', (d: Buffer) => { output += d.toString() })
    child.once('error', (err) => reject(new Error(`promtool is needed for this test (Debian package "prometheus"): ${err.message}`)))
    child.once('close', (code) => resolve({ code, output }))
    child.stdin.end(text)
  })
}
