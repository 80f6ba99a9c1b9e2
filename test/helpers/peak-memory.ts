import { spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import { resolve } from 'node:path'
import { CLI, type CliResult } from './cli.js'

const PRELOAD = resolve('dist/test/helpers/max-rss.js')

/** Runs the real CLI as a child process and returns its result with its peak RSS in MiB. */
export async function runCliMeasured (args: string[]): Promise<CliResult & { peakMiB: number }> {
  return await new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', PRELOAD, CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    child.once('error', reject)
    child.once('close', (code) => {
      const m = /HASHFED_MAX_RSS_KIB=(\d+)/.exec(stderr)
      if (m === null) return reject(new Error(`no peak RSS reported (exit ${String(code)}): ${stderr}`))
      resolvePromise({ code, stdout, stderr: stderr.replace(m[0], '').trim(), peakMiB: Number(m[1]) / 1024 })
    })
  })
}

/**
 * Writes `head`, then `fill` repeated until `bytes` bytes, then `tail` to `path`, streamed:
 * the test process never holds the big value it writes.
 */
export async function writeBigFile (path: string, head: string, fill: string, bytes: number, tail: string): Promise<void> {
  const out = createWriteStream(path)
  const write = async (text: string | Buffer): Promise<void> => { if (!out.write(text)) await once(out, 'drain') }
  await write(head)
  const block = Buffer.from(fill.repeat(Math.ceil((1 << 20) / fill.length)).slice(0, 1 << 20))
  for (let done = 0; done < bytes; done += block.length) await write(done + block.length <= bytes ? block : block.subarray(0, bytes - done))
  await write(tail)
  out.end()
  await once(out, 'finish')
}
