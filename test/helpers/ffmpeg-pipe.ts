import { resolveFfmpeg } from '../../src/hashing/video/ffmpeg-path.js'
import { runFfmpeg } from '../../src/hashing/video/ffmpeg-process.js'

/**
 * Runs the bundled FFmpeg on bytes in memory (stdin) and returns what it writes to stdout:
 * transcoded copies and extracted frames for tests, never a temporary file.
 */
export async function ffmpegPipe (input: Uint8Array, outputArgs: string[]): Promise<Buffer> {
  const chunks: Buffer[] = []
  const res = await runFfmpeg(resolveFfmpeg(), ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', 'pipe:0', ...outputArgs, 'pipe:1'], {
    stdin: input,
    deadlineMs: 120_000,
    onStdout: async (stdout) => { for await (const c of stdout as AsyncIterable<Buffer>) chunks.push(c) }
  })
  if (res.code !== 0) throw new Error(`ffmpeg failed: ${res.stderr}`)
  return Buffer.concat(chunks)
}

/** A smaller, lower-bitrate H.264 copy (fragmented MP4, so it streams out of a pipe). */
export async function reencodeSmaller (video: Uint8Array): Promise<Buffer> {
  return await ffmpegPipe(video, ['-vf', 'scale=160:-2', '-c:v', 'libx264', '-b:v', '80k', '-an', '-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov'])
}

/** Frame `n` of a video as PNG bytes. */
export async function frameAsPng (video: Uint8Array, n: number): Promise<Buffer> {
  return await ffmpegPipe(video, ['-vf', `select=eq(n\\,${n})`, '-vsync', 'passthrough', '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'png'])
}
