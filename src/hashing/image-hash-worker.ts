import { parentPort } from 'node:worker_threads'
import { isHashfedError } from '../errors.js'
import { hashImage } from './hash-image.js'
import type { HashJob, HashJobResult } from './image-hash-pool.js'

// One image at a time: the pool gives each worker a single job and waits for its answer.
parentPort?.on('message', (job: HashJob) => {
  void (async () => {
    let out: HashJobResult
    try {
      const h = await hashImage(new Uint8Array(job.bytes), { maxPixels: job.maxPixels })
      out = { id: job.id, ok: true, format: h.format, width: h.width, height: h.height, records: h.records, pdqVariants: h.pdqVariants }
    } catch (err) {
      out = isHashfedError(err)
        ? { id: job.id, ok: false, code: err.code, message: err.message, details: err.details }
        : { id: job.id, ok: false, message: err instanceof Error ? err.message : String(err) }
    }
    parentPort?.postMessage(out)
  })()
})
