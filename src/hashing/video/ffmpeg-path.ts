import { createRequire } from 'node:module'
import { accessSync, constants } from 'node:fs'
import { hfError, ErrorCodes } from '../../errors.js'

const require = createRequire(import.meta.url)

let shipped: string | undefined

/**
 * The FFmpeg binary to run: `override` (a configured system ffmpeg) when given, else the
 * static build that `@ffmpeg-installer/ffmpeg` brings for this platform inside its npm
 * tarball (no download at install time). Throws HF_VIDEO_DECODER_UNAVAILABLE when neither
 * is an executable file.
 */
export function resolveFfmpeg (override?: string): string {
  if (override !== undefined && override !== '') {
    assertExecutable(override, 'the configured ffmpeg')
    return override
  }
  if (shipped !== undefined) return shipped
  let path: string
  try {
    path = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path
  } catch (err) {
    // the package throws a bare string on an unsupported platform
    throw hfError(ErrorCodes.VIDEO_DECODER_UNAVAILABLE, `no FFmpeg binary shipped for this platform: ${String(err)}; configure a system ffmpeg`)
  }
  assertExecutable(path, 'the shipped ffmpeg')
  shipped = path
  return path
}

function assertExecutable (path: string, what: string): void {
  try {
    accessSync(path, constants.X_OK)
  } catch (err) {
    throw hfError(ErrorCodes.VIDEO_DECODER_UNAVAILABLE, `${what} at ${path} is not an executable file`, { path }, err)
  }
}
