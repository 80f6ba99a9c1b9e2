// Docker HEALTHCHECK: healthy when the node's admin API answers GET /v1/status. The running
// node writes its admin address to runtime.json; the API listens on 127.0.0.1 inside the
// container (or on HASHFED_ADMIN_HOST with a token, which config.json holds).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const dir = process.env.HASHFED_DIR ?? '/data'
try {
  const { adminUrl } = JSON.parse(readFileSync(join(dir, 'runtime.json'), 'utf8'))
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))
  const token = config.api?.token
  const url = String(adminUrl).replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:') + '/v1/status'
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(4000) })
  if (!res.ok) throw new Error(`GET /v1/status answered HTTP ${res.status}`)
  const status = await res.json()
  if (status.running !== true) throw new Error('the node reports that it is not running')
  process.exit(0)
} catch (err) {
  console.error(`unhealthy: ${err.message}`)
  process.exit(1)
}
