import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'

export interface LoopbackSource {
  /** http://127.0.0.1:PORT/SECRET: the only URL that answers */
  url: string
  /** stops serving and drops every connection */
  close: () => Promise<void>
}

/**
 * Serves bytes held in memory to FFmpeg over HTTP on 127.0.0.1 (an OS-chosen port), with
 * range requests so its demuxer can seek (an MP4 whose index is at the end). The video
 * never touches the disk. The path is a random 128-bit secret: another local process that
 * finds the port gets 404 and learns nothing about the bytes.
 */
export async function serveLoopback (bytes: Uint8Array): Promise<LoopbackSource> {
  const secret = '/' + randomBytes(16).toString('hex')
  const server = createServer((req, res) => { answer(req, res, secret, bytes) })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: '127.0.0.1', port: 0 }, () => { resolve() })
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}${secret}`,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    }
  }
}

function answer (req: IncomingMessage, res: ServerResponse, secret: string, bytes: Uint8Array): void {
  if (req.url !== secret || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(404).end()
    return
  }
  const total = bytes.length
  let start = 0
  let end = total - 1
  let partial = false
  const range = req.headers.range
  if (range !== undefined) {
    const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim())
    if (m === null || (m[1] === '' && m[2] === '')) {
      res.writeHead(416, { 'Content-Range': `bytes */${total}` }).end()
      return
    }
    if (m[1] === '') {
      start = Math.max(0, total - Number(m[2])) // suffix range: the last N bytes
    } else {
      start = Number(m[1])
      if (m[2] !== '') end = Math.min(end, Number(m[2]))
    }
    if (start >= total || start > end) {
      res.writeHead(416, { 'Content-Range': `bytes */${total}` }).end()
      return
    }
    partial = true
  }
  const headers: Record<string, string | number> = {
    'Accept-Ranges': 'bytes',
    'Content-Type': 'application/octet-stream',
    'Content-Length': end - start + 1
  }
  if (partial) headers['Content-Range'] = `bytes ${start}-${end}/${total}`
  res.writeHead(partial ? 206 : 200, headers)
  if (req.method === 'HEAD') {
    res.end()
    return
  }
  // FFmpeg closes the connection when it seeks elsewhere: a write after that is expected
  res.on('error', () => {})
  res.end(bytes.subarray(start, end + 1))
}
