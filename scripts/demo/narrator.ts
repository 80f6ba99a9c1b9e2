/**
 * The demo's voice: numbered steps, the commands it runs (as a user would type them) and their
 * output, indented. Colour only on a terminal, and never with NO_COLOR set.
 */
export interface NarratorInit {
  /** @default process.stdout */
  out?: NodeJS.WriteStream
  /** replaced by `$DEMO` in printed commands, so they stay short and copyable */
  folder?: string
}

const CODES = { bold: 1, dim: 2, green: 32, yellow: 33, cyan: 36, red: 31 } as const
type Style = keyof typeof CODES

export class Narrator {
  private readonly out: NodeJS.WriteStream
  private readonly colour: boolean
  folder: string | undefined
  private step = 0

  constructor (init: NarratorInit = {}) {
    this.out = init.out ?? process.stdout
    this.colour = this.out.isTTY === true && process.env.NO_COLOR === undefined
    this.folder = init.folder
  }

  style (text: string, ...styles: Style[]): string {
    if (!this.colour || styles.length === 0) return text
    return `\x1b[${styles.map(s => CODES[s]).join(';')}m${text}\x1b[0m`
  }

  line (text = ''): void {
    this.out.write(text + '\n')
  }

  title (text: string, sub: string[]): void {
    this.line()
    this.line(this.style(text, 'bold'))
    for (const s of sub) this.line('  ' + s)
  }

  heading (total: number, text: string): void {
    this.step++
    this.line()
    this.line(this.style(`${this.step}/${total}  ${text}`, 'bold', 'cyan'))
  }

  say (text: string): void {
    this.line('  ' + text)
  }

  ok (text: string): void {
    this.line(`  ${this.style('✓', 'green', 'bold')} ${text}`)
  }

  wait (text: string): void {
    this.line(`  ${this.style('…', 'dim')} ${this.style(text, 'dim')}`)
  }

  warn (text: string): void {
    this.line(`  ${this.style('!', 'yellow', 'bold')} ${text}`)
  }

  error (text: string): void {
    this.line(`  ${this.style('✗', 'red', 'bold')} ${text}`)
  }

  /** A command as the user would type it, with the demo folder shortened to `$DEMO`. */
  command (args: string[]): void {
    this.line(`  ${this.style('$', 'dim')} ${this.style(['hashfed', ...args.map(a => this.shell(a))].join(' '), 'bold')}`)
  }

  /** Command output, indented under its command. */
  output (text: string): void {
    for (const l of text.replace(/\s+$/, '').split('\n')) this.line(`    ${this.style('│', 'dim')} ${this.short(l)}`)
  }

  short (text: string): string {
    return this.folder === undefined ? text : text.split(this.folder).join('$DEMO')
  }

  private shell (arg: string): string {
    const a = this.short(arg)
    return /^[\w@%+=:,./$-]+$/.test(a) ? a : `"${a.replace(/(["\\`])/g, '\\$1')}"`
  }
}

export function seconds (ms: number): string {
  return ms < 1000 ? `${Math.max(1, Math.round(ms))} ms` : `${(ms / 1000).toFixed(1)} s`
}
