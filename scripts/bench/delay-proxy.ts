// A user-space WAN for benchmarks (the kernel here has no netem): a TCP proxy that holds every
// chunk for a one-way delay in each direction, in order, before passing it on. Runs in its own
// process (`proxyProcess`) so the nodes' CPU work does not delay its timers. It models
// latency, not bandwidth: the proxy reads as fast as a socket delivers, so only the flow
// control of the protocol on top (yamux windows) feels the bandwidth-delay product.
//
// As a child it reads JSON commands on stdin, one a line, and answers each with a JSON line:
//   {"op":"listen","target":"127.0.0.1:4001"}  → {"port":40123}    a listener towards target
//   {"op":"delay","oneWayMs":50}               → {"ok":true}        for chunks from now on
//   {"op":"trace","on":true}                   → {"ok":true}        start recording (clears)
//   {"op":"dump"}                              → {"trace":[...]}    what was recorded
import { createServer, connect, type Server, type Socket } from 'node:net'
import { createInterface } from 'node:readline'
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** One chunk as it entered the proxy: ms since tracing began, listener port, direction, bytes. */
export interface TraceEvent { t: number, port: number, dir: 'up' | 'down', bytes: number }

/** Chunks waiting for their time, released in arrival order by one timer per direction. */
class DelayedPipe {
  private readonly queue: Array<{ at: number, chunk: Buffer | null }> = []
  private timer: NodeJS.Timeout | null = null
  /** bytes queued or written and not yet drained: above a bound the source is paused */
  private pending = 0

  constructor (private readonly from: Socket, private readonly to: Socket, private readonly delay: () => number, private readonly onChunk: (bytes: number) => void) {
    from.on('data', (chunk: Buffer) => { this.onChunk(chunk.length); this.push(chunk) })
    from.on('end', () => this.push(null))
    to.on('drain', () => { this.pending = 0; if (this.from.isPaused()) this.from.resume() })
  }

  private push (chunk: Buffer | null): void {
    this.queue.push({ at: performance.now() + this.delay(), chunk })
    if (chunk !== null) {
      this.pending += chunk.length
      if (this.pending > 64 * 1024 * 1024) this.from.pause()
    }
    if (this.timer === null) this.arm()
  }

  private arm (): void {
    const head = this.queue[0]
    if (head === undefined) return
    this.timer = setTimeout(() => { this.timer = null; this.release() }, Math.max(0, head.at - performance.now()))
  }

  private release (): void {
    const now = performance.now()
    while (this.queue.length > 0 && this.queue[0].at <= now + 0.5) {
      const { chunk } = this.queue.shift()!
      if (this.to.destroyed) return
      if (chunk === null) this.to.end()
      else if (this.to.write(chunk)) this.pending = Math.max(0, this.pending - chunk.length)
    }
    this.arm()
  }
}

export class DelayProxy {
  oneWayMs: number
  private readonly servers: Server[] = []
  private readonly sockets = new Set<Socket>()
  private trace: TraceEvent[] | null = null
  private traceStart = 0

  constructor (oneWayMs: number) {
    this.oneWayMs = oneWayMs
  }

  /** A listener on 127.0.0.1 port 0 whose connections are passed to `target` (host:port), delayed. */
  async listen (target: string): Promise<number> {
    const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))]
    const server = createServer({ noDelay: true }, (down) => {
      const up = connect({ host, port, noDelay: true })
      for (const s of [down, up]) {
        this.sockets.add(s)
        s.on('error', () => { down.destroy(); up.destroy() })
        s.on('close', () => { this.sockets.delete(s); down.destroy(); up.destroy() })
      }
      const listenPort = (server.address() as { port: number }).port
      const record = (dir: 'up' | 'down') => (bytes: number): void => { this.trace?.push({ t: performance.now() - this.traceStart, port: listenPort, dir, bytes }) }
      new DelayedPipe(down, up, () => this.oneWayMs, record('up')) // eslint-disable-line no-new
      new DelayedPipe(up, down, () => this.oneWayMs, record('down')) // eslint-disable-line no-new
    })
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve))
    this.servers.push(server)
    return (server.address() as { port: number }).port
  }

  startTrace (): void {
    this.trace = []
    this.traceStart = performance.now()
  }

  takeTrace (): TraceEvent[] {
    const t = this.trace ?? []
    this.trace = null
    return t
  }

  close (): void {
    for (const s of this.sockets) s.destroy()
    for (const s of this.servers) s.close()
  }
}

/** The proxy in a child process, driven over its stdin/stdout. */
export interface ProxyProcess {
  listen: (target: string) => Promise<number>
  setDelay: (oneWayMs: number) => Promise<void>
  startTrace: () => Promise<void>
  takeTrace: () => Promise<TraceEvent[]>
  close: () => Promise<void>
}

export async function proxyProcess (oneWayMs: number): Promise<ProxyProcess> {
  const child: ChildProcess = spawn(process.execPath, [fileURLToPath(import.meta.url), String(oneWayMs)], { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout! })
  const answers: Array<(line: string) => void> = []
  lines.on('line', (l) => answers.shift()?.(l))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const ask = async (cmd: object): Promise<Record<string, unknown>> => {
    if (child.exitCode !== null) throw new Error('delay proxy exited')
    const answer = new Promise<string>((resolve) => answers.push(resolve))
    child.stdin!.write(JSON.stringify(cmd) + '\n')
    return JSON.parse(await answer) as Record<string, unknown>
  }
  return {
    listen: async (target) => Number((await ask({ op: 'listen', target })).port),
    setDelay: async (ms) => { await ask({ op: 'delay', oneWayMs: ms }) },
    startTrace: async () => { await ask({ op: 'trace', on: true }) },
    takeTrace: async () => (await ask({ op: 'dump' })).trace as TraceEvent[],
    close: async () => { child.stdin!.end(); await exited }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const proxy = new DelayProxy(Number(process.argv[2] ?? 50))
  const out = (o: object): void => { process.stdout.write(JSON.stringify(o) + '\n') }
  const rl = createInterface({ input: process.stdin })
  rl.on('line', (line) => {
    const cmd = JSON.parse(line) as { op: string, target?: string, oneWayMs?: number }
    if (cmd.op === 'listen') void proxy.listen(String(cmd.target)).then(port => out({ port }), (err: Error) => out({ error: err.message }))
    else if (cmd.op === 'delay') { proxy.oneWayMs = Number(cmd.oneWayMs); out({ ok: true }) } else if (cmd.op === 'trace') { proxy.startTrace(); out({ ok: true }) } else if (cmd.op === 'dump') out({ trace: proxy.takeTrace() })
    else out({ error: `unknown op ${cmd.op}` })
  })
  rl.on('close', () => { proxy.close(); process.exit(0) })
}
