import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'

/** The CLI the demo drives: `dist/src/cli/main.js` of this package. */
export interface CliInit {
  /** path of the compiled CLI */
  cli: string
  /** extra environment for every command and node */
  env?: Record<string, string>
}

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs one `hashfed` command to completion. */
export async function runHashfed (init: CliInit, args: string[]): Promise<CliResult> {
  return await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [init.cli, ...args], { env: { ...process.env, ...init.env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** A `hashfed start` child process whose JSON log goes to a file. */
export class NodeProcess {
  readonly child: ChildProcess
  private readonly exited: Promise<number | null>

  constructor (init: CliInit, readonly dir: string, readonly logFile: string) {
    const log = createWriteStream(logFile)
    this.child = spawn(process.execPath, [init.cli, 'start', '--dir', dir], { env: { ...process.env, ...init.env }, stdio: ['ignore', 'pipe', 'pipe'] })
    this.child.stdout?.pipe(log, { end: false })
    this.child.stderr?.pipe(log, { end: false })
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => {
      log.end()
      resolve(code ?? (signal !== null ? 128 : null))
    }))
  }

  get running (): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** SIGTERM, and SIGKILL if it has not stopped after `graceMs`. Resolves with the exit code. */
  async stop (graceMs = 10_000): Promise<number | null> {
    if (this.running) this.child.kill('SIGTERM')
    const timer = setTimeout(() => { if (this.running) this.child.kill('SIGKILL') }, graceMs)
    try {
      return await this.exited
    } finally {
      clearTimeout(timer)
    }
  }

  /** Resolves when the process exits. */
  async exit (): Promise<number | null> {
    return await this.exited
  }
}
