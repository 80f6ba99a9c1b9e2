import { parentPort } from 'node:worker_threads'
import { pdqHashRgb, pdqHashYuv420p } from '../pdq.js'
import type { FrameJob, FrameResult } from './frame-hash-pool.js'
import { hashStreamFrames, type StreamJob } from './frame-stream-read.js'

// PDQ of one RGB frame per message; the pixels are shared or arrive moved, never copied, and
// a moved buffer goes back the same way for the next frame. A stream job reads and hashes a
// whole video's frames from FFmpeg's output (frame-stream-read.ts).
parentPort?.on('message', (job: FrameJob | StreamJob) => {
  if ('kind' in job) {
    parentPort?.postMessage(hashStreamFrames(job))
    return
  }
  const pixels = new Uint8Array(job.rgb)
  const { hash, quality } = job.format === 'yuv420p' ? pdqHashYuv420p(pixels, job.width, job.height) : pdqHashRgb(pixels, job.width, job.height)
  if (job.rgb instanceof SharedArrayBuffer) {
    const out: FrameResult = { id: job.id, hash, quality }
    parentPort?.postMessage(out)
    return
  }
  const out: FrameResult = { id: job.id, hash, quality, rgb: job.rgb }
  parentPort?.postMessage(out, [job.rgb])
})
