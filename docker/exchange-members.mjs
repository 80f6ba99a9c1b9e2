// For docker/compose.yml (a federation on one Docker network, like `npm run demo`): the
// members of one compose project find each other through a shared volume instead of
// exchanging peer IDs by mail. Writes this node's member entry (name, peer ID, countries,
// announce address, as its own federation.json lists it) to <shared>/members/<name>.json,
// waits until <expect> entries are there, and adds every other one with the real
// `hashfed federation add` (validated; adding again replaces, so every start is the same).
// Usage: node exchange-members.mjs <node dir> <shared dir> <expected members>
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

const [dir, shared, expectText = '0'] = process.argv.slice(2)
const cli = join(process.env.HASHFED_APP ?? '/app', 'dist', 'src', 'cli', 'main.js')
const expect = Number(expectText)
const WAIT_MS = Number(process.env.HASHFED_EXCHANGE_WAIT_MS ?? 300_000)

const { name } = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))
const self = JSON.parse(readFileSync(join(dir, 'federation.json'), 'utf8')).members.find(m => m.name === name)
if (self === undefined) throw new Error(`${dir}/federation.json does not list this node (${name})`)

const folder = join(shared, 'members')
mkdirSync(folder, { recursive: true })
const mine = join(folder, `${name}.json`)
writeFileSync(mine + '.tmp', JSON.stringify({ name: self.name, peerId: self.peerId, countries: self.countries, addresses: self.addresses }) + '\n')
renameSync(mine + '.tmp', mine) // others never read half a file
console.log(`hashfed: published ${name} (${self.peerId}) to ${folder}`)

const entries = () => readdirSync(folder).filter(f => f.endsWith('.json'))
const start = Date.now()
while (entries().length < expect) {
  if (Date.now() - start > WAIT_MS) {
    console.error(`hashfed: only ${entries().length} of ${expect} members published after ${WAIT_MS / 1000} s; starting with those`)
    break
  }
  await sleep(500)
}

for (const file of entries().sort()) {
  const m = JSON.parse(readFileSync(join(folder, file), 'utf8'))
  if (m.peerId === self.peerId) continue
  const args = [cli, 'federation', 'add', '--dir', dir, '--name', m.name, '--peer-id', m.peerId]
  if (m.countries.length > 0) args.push('--country', m.countries.join(','))
  for (const a of m.addresses) args.push('--addr', a)
  execFileSync(process.execPath, args, { stdio: 'inherit' })
}
