import { SingleBar } from 'cli-progress'

export interface Progress {
  update: (phase: string, done: number, total?: number) => void
  stop: () => void
}

/** A progress bar on stderr when it is a terminal; silent otherwise (pipes, CI, tests). */
export function progressBar (): Progress {
  if (process.stderr.isTTY !== true) return { update: () => {}, stop: () => {} }
  let bar: SingleBar | null = null
  let current = ''
  return {
    update (phase, done, total) {
      if (bar === null || phase !== current) {
        bar?.stop()
        current = phase
        bar = new SingleBar({ format: `${phase.padEnd(6)} [{bar}] {value}${total !== undefined ? '/{total}' : ''} items`, stream: process.stderr, hideCursor: true }, undefined)
        bar.start(total ?? 0, 0)
      }
      if (total !== undefined) bar.setTotal(total)
      bar.update(done)
    },
    stop () { bar?.stop() }
  }
}
