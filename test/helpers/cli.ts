import { spawn, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { nodeDir } from '../../src/config/node-dir.js'
import { readLiveRuntime, type RuntimeInfo } from '../../src/context/runtime-file.js'

export const CLI = resolve('dist/src/cli/main.js')

export interface CliResult { code: number | null, stdout: string, stderr: string }

/** Runs the real CLI as a child process. */
export async function runCli (args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return await new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    child.once('error', reject)
    child.once('close', (code) => resolvePromise({ code, stdout, stderr }))
  })
}

/** Starts `hashfed start` as a child process; `output()` gives what it logged so far. */
export function startCliNode (dir: string, env: Record<string, string> = {}): { child: ChildProcess, output: () => string, stop: () => Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, 'start', '--dir', dir], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { out += d.toString() })
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)))
  return {
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM')
      return await exited
    }
  }
}

/**
 * The runtime.json of the node started in `dir` by `child` (its real addresses: every server
 * binds port 0 in tests), once it is written; throws when the process exits first.
 */
export async function runtimeOf (dir: string, node: { child: ChildProcess, output: () => string }, timeoutMs = 60_000): Promise<RuntimeInfo> {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    const info = await readLiveRuntime(nodeDir(dir))
    if (info !== null && info.pid === node.child.pid) return info
    if (node.child.exitCode !== null) throw new Error(`the node in ${dir} exited (${node.child.exitCode}) before it ran:\n${node.output()}`)
    await sleep(50)
  }
  throw new Error(`the node in ${dir} wrote no runtime.json within ${timeoutMs} ms:\n${node.output()}`)
}

/** A runtime address without its /p2p/ part, as a federation file lists it. */
export function plainAddress (addr: string): string {
  return addr.replace(/\/p2p\/.*$/, '')
}
