import { spawn, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'

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
