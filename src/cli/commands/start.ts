import type { Command } from 'commander'
import { assertPrivateNodeDir, nodeDir } from '../../config/node-dir.js'
import { usePrivateFileMode } from '../../util/private-files.js'
import { DIR_OPTION, resolveDir } from '../options.js'

export function registerStart (program: Command): void {
  program.command('start')
    .description('run the node: libp2p (TCP, Noise, yamux) to the federation members, admin API on 127.0.0.1; stops cleanly on SIGINT/SIGTERM. Refuses a node folder other users can open (chmod -R go= DIR)')
    .option(...DIR_OPTION)
    .action(async (opts: { dir?: string }) => {
      const dir = resolveDir(opts.dir)
      // a folder other users can open is refused; every file the node makes is owner-only
      await assertPrivateNodeDir(nodeDir(dir))
      usePrivateFileMode()
      // loaded on demand: libp2p and the HTTP server double the start-up time of every other command
      const { HashfedNode } = await import('../../daemon/hashfed-node.js')
      // listening before the start: the runtime file appears before start() returns, and a
      // SIGTERM sent on seeing it must stop the node cleanly, not kill the process half-way
      let node: Awaited<ReturnType<typeof HashfedNode.start>> | undefined
      let signalled: string | undefined
      let resolveStopped = (): void => {}
      const stopped = new Promise<void>((resolve) => { resolveStopped = resolve })
      const stop = (signal: string): void => {
        if (node === undefined) { signalled ??= signal; return }
        node.log.info({ signal }, 'signal received')
        void node.stop().then(resolveStopped)
      }
      process.once('SIGINT', () => stop('SIGINT'))
      process.once('SIGTERM', () => stop('SIGTERM'))
      node = await HashfedNode.start({ dir })
      if (signalled !== undefined) stop(signalled)
      await stopped
    })
}
