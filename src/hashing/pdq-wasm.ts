import { readFileSync } from 'node:fs'
import { type Axis, DOWNSAMPLED_SIDE, PREFIX_MAX_WIDTH, axis } from './pdq-downsample.js'
import { DCT_MATRIX, DCT_SIDE } from './pdq-dct.js'
import { yuvColumnScales, yuvSumsFit } from './pdq-yuv-downsample.js'
import { YTAB_OFFSET, YUV_C, YUV_CY, chromaRowPlan, yuv420pBytes, yuv420pTables, yuv420pTakes } from './yuv420p.js'

/**
 * PDQ's blur and decimation of RGB24 frames in WebAssembly (wasm/pdq-kernel.ts, built by
 * `npm run build`): `downsampleTo64`'s prefix-sum path for RGB rows, the same operations in
 * the same order, so bit for bit its output (test/unit/pdq-wasm.test.ts compares them on
 * every frame of the sample videos). On a 480x720 video frame, this is most of PDQ's time.
 * It also takes yuv420p frames, converted to RGB row by row as FFmpeg's swscale does
 * (yuv420p.ts) inside the kernel, the RGB frame never stored, and blurred in integers
 * (wasm/pdq-kernel-yuv.ts): bit for bit `downsampleYuv420pTo64` (pdq-yuv-downsample.ts).
 * When the module is missing or cannot be compiled, `downsampleRgb24Wasm` answers undefined
 * and the JS path runs.
 */

interface Kernel { memory: WebAssembly.Memory, downsampleFrame: (geometry: number) => void, dct64To16: (geometry: number) => void, heapBase: number }

/** How a frame's pixels are laid out: packed RGB24 rows, or yuv420p's three planes. */
export type FrameFormat = 'rgb24' | 'yuv420p'

let kernel: Kernel | null | undefined

function loadKernel (): Kernel | null {
  if (kernel !== undefined) return kernel
  try {
    const bytes = readFileSync(new URL('../../wasm/pdq-kernel.wasm', import.meta.url))
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { abort: () => { throw new Error('pdq kernel aborted') } } })
    const e = instance.exports as { memory: WebAssembly.Memory, downsampleFrame: (g: number) => void, dct64To16: (g: number) => void, HEAP_BASE: WebAssembly.Global }
    kernel = { memory: e.memory, downsampleFrame: e.downsampleFrame, dct64To16: e.dct64To16, heapBase: Number(e.HEAP_BASE.value) }
  } catch {
    kernel = null
  }
  return kernel
}

/** Field order of the kernel's geometry block (G_ constants in wasm/pdq-kernel.ts). */
const FIELDS = 35
const PAGE = 65536

/** Offsets of one frame size's buffers in the kernel's memory. */
interface Layout { width: number, height: number, stride: number, format: FrameFormat, geometry: number, out: number, dctOut: number, data: number, end: number }

let layout: Layout | undefined

function align8 (n: number): number { return (n + 7) & ~7 }

/**
 * The packed columns as runs whose windows step by one column and have one length (a
 * sample's neighbouring columns, away from the clipped edges), which the kernel computes two
 * columns at a time: per run [first packed column, length, first window's start, window
 * length] and [inverse, count].
 */
function columnRuns (xa: Axis): Array<{ ints: [number, number, number, number], floats: [number, number] }> {
  const runs: Array<{ ints: [number, number, number, number], floats: [number, number] }> = []
  for (let c = 0; c < xa.first.length; c++) {
    const at = runs[runs.length - 1]
    const window = xa.last[c] - xa.first[c] + 1
    if (at !== undefined && at.ints[0] + at.ints[1] === c && at.ints[2] + at.ints[1] === xa.first[c] && at.ints[3] === window) at.ints[1]++
    else runs.push({ ints: [c, 1, xa.first[c], window], floats: [xa.inverses[c], xa.counts[c]] })
  }
  return runs
}

function frameBytes (width: number, height: number, stride: number, format: FrameFormat): number {
  return format === 'yuv420p' ? yuv420pBytes(width, height) : height * stride
}

function layoutFor (k: Kernel, width: number, height: number, stride: number, format: FrameFormat = 'rgb24'): Layout {
  if (layout !== undefined && layout.width === width && layout.height === height && layout.stride === stride && layout.format === format) return layout
  const xa = axis(width)
  const ya = axis(height)
  const packed = xa.cols.length
  const ring = ya.behind + ya.ahead + 2
  const runs = columnRuns(xa)
  let at = align8(k.heapBase)
  const take = (bytes: number): number => { const p = at; at = align8(at + bytes); return p }
  const geometry = take(FIELDS * 4)
  const arrays = {
    xFirst: take(packed * 4), xLast: take(packed * 4), xCounts: take(packed * 8), xInverses: take(packed * 8),
    xPackedLo: take(DOWNSAMPLED_SIDE * 4), xN: take(DOWNSAMPLED_SIDE * 4), xSampleInverses: take(DOWNSAMPLED_SIDE * 8),
    yNeeded: take(height), yLo: take(DOWNSAMPLED_SIDE * 4), yN: take(DOWNSAMPLED_SIDE * 4),
    prefix: take((width + 8) * 8), rowBoxed: take(ring * (packed + 4) * 4), sums: take(packed * 8), column: take(packed * 4),
    sampledRows: take(height * DOWNSAMPLED_SIDE * 4), out: take(DOWNSAMPLED_SIDE * DOWNSAMPLED_SIDE * 4),
    yuvParams: take(9 * 4), chromaPlan: take(height * 4), yuvRow: take(3 * ((width >> 1) + 4) * 4),
    dct: take(DCT_SIDE * DOWNSAMPLED_SIDE * 8), dctT: take(DCT_SIDE * DOWNSAMPLED_SIDE * 8), dctRows: take(DCT_SIDE * DOWNSAMPLED_SIDE * 8), dctOut: take(DCT_SIDE * DCT_SIDE * 8),
    xRuns: take(runs.length * 32), colScales: take(packed * 4),
    // the yuv420p path reads a row's last eight pixels as a group, up to 7 bytes past the planes
    data: take(frameBytes(width, height, stride, format) + 16)
  }
  const have = k.memory.buffer.byteLength
  if (at > have) k.memory.grow(Math.ceil((at - have) / PAGE))
  const buffer = k.memory.buffer
  new Int32Array(buffer, geometry, FIELDS).set([
    width, height, stride, packed, ya.behind, ya.ahead, ring,
    arrays.xFirst, arrays.xLast, arrays.xCounts, arrays.xInverses, arrays.xPackedLo, arrays.xN, arrays.xSampleInverses,
    arrays.yNeeded, arrays.yLo, arrays.yN, arrays.prefix, arrays.rowBoxed, arrays.sums, arrays.column, arrays.sampledRows,
    arrays.out, arrays.data, format === 'yuv420p' ? 1 : 0, arrays.yuvParams, arrays.chromaPlan, arrays.yuvRow, arrays.dct, arrays.dctT, arrays.dctRows, arrays.dctOut,
    arrays.xRuns, runs.length, arrays.colScales
  ])
  runs.forEach((run, r) => {
    new Int32Array(buffer, arrays.xRuns + r * 32, 4).set(run.ints)
    new Float64Array(buffer, arrays.xRuns + r * 32 + 16, 2).set(run.floats)
  })
  new Float64Array(buffer, arrays.dct, DCT_SIDE * DOWNSAMPLED_SIDE).set(DCT_MATRIX)
  const transposed = new Float64Array(buffer, arrays.dctT, DCT_SIDE * DOWNSAMPLED_SIDE)
  for (let j = 0; j < DCT_SIDE; j++) for (let k = 0; k < DOWNSAMPLED_SIDE; k++) transposed[k * DCT_SIDE + j] = DCT_MATRIX[j * DOWNSAMPLED_SIDE + k]
  if (format === 'yuv420p') {
    const t = yuv420pTables()
    // the kernel computes swscale's table entries from these (see prefixYuv in the kernel)
    const { crv, cgu, cgv, cbu } = t.coefficients
    new Int32Array(buffer, arrays.yuvParams, 9).set([YUV_CY, YUV_C, crv, cgu, cgv, cbu, YTAB_OFFSET - (crv >> 9), YTAB_OFFSET - (cgu >> 9) - (cgv >> 9), YTAB_OFFSET - (cbu >> 9)])
    new Int32Array(buffer, arrays.chromaPlan, height).set(chromaRowPlan(height))
    new Float32Array(buffer, arrays.colScales, packed).set(yuvColumnScales(xa))
  }
  new Int32Array(buffer, arrays.xFirst, packed).set(xa.first)
  new Int32Array(buffer, arrays.xLast, packed).set(xa.last)
  new Float64Array(buffer, arrays.xCounts, packed).set(xa.counts)
  new Float64Array(buffer, arrays.xInverses, packed).set(xa.inverses)
  new Int32Array(buffer, arrays.xPackedLo, DOWNSAMPLED_SIDE).set(xa.packedLo)
  new Int32Array(buffer, arrays.xN, DOWNSAMPLED_SIDE).set(xa.n)
  new Float64Array(buffer, arrays.xSampleInverses, DOWNSAMPLED_SIDE).set(xa.sampleInverses)
  new Uint8Array(buffer, arrays.yNeeded, height).set(ya.needed)
  new Int32Array(buffer, arrays.yLo, DOWNSAMPLED_SIDE).set(ya.lo)
  new Int32Array(buffer, arrays.yN, DOWNSAMPLED_SIDE).set(ya.n)
  layout = { width, height, stride, format, geometry, out: arrays.out, dctOut: arrays.dctOut, data: arrays.data, end: at }
  return layout
}

/** Whether the kernel takes frames of this size and format (else the JS path). */
export function wasmTakes (width: number, height: number, format: FrameFormat = 'rgb24'): boolean {
  if (format === 'yuv420p' && !(yuv420pTakes(width, height) && yuvSumsFit(width, height))) return false
  return width <= PREFIX_MAX_WIDTH && !(width === DOWNSAMPLED_SIDE && height === DOWNSAMPLED_SIDE) && loadKernel() !== null
}

/**
 * Where the kernel reads frames of this size and format from (RGB24 rows `width * 3` bytes
 * apart, or yuv420p planes): a frame read straight into it is hashed without a copy. Valid
 * until a frame of another size or format is hashed on this thread; undefined when the
 * kernel does not take it.
 */
export function wasmFrameBuffer (width: number, height: number, format: FrameFormat = 'rgb24'): Uint8Array | undefined {
  if (!wasmTakes(width, height, format)) return undefined
  const k = kernel as Kernel
  const l = layoutFor(k, width, height, width * 3, format)
  return new Uint8Array(k.memory.buffer, l.data, frameBytes(width, height, width * 3, format))
}

/**
 * The 64×64 blurred and decimated luminance of packed RGB24 pixels (rows `stride` bytes
 * apart), as `downsampleTo64` gives it; undefined when the kernel is unavailable or does not
 * take this size.
 */
export function downsampleRgb24Wasm (data: Uint8Array, width: number, height: number, stride: number): Float32Array | undefined {
  if (!wasmTakes(width, height)) return undefined
  const k = kernel as Kernel
  const l = layoutFor(k, width, height, stride)
  if (data.buffer !== k.memory.buffer || data.byteOffset !== l.data) new Uint8Array(k.memory.buffer, l.data, height * stride).set(data.subarray(0, Math.min(data.length, height * stride)))
  k.downsampleFrame(l.geometry)
  return new Float32Array(k.memory.buffer.slice(l.out, l.out + DOWNSAMPLED_SIDE * DOWNSAMPLED_SIDE * 4))
}

/**
 * The 64×64 image of a yuv420p frame (`yuv420pBytes` long) as `downsampleYuv420pTo64` gives
 * it; undefined when the kernel is unavailable or does not take this size (odd widths, and
 * frames whose sums would pass 32 bits, among them).
 */
export function downsampleYuv420pWasm (data: Uint8Array, width: number, height: number): Float32Array | undefined {
  if (!wasmTakes(width, height, 'yuv420p')) return undefined
  const k = kernel as Kernel
  const l = layoutFor(k, width, height, width * 3, 'yuv420p')
  const bytes = yuv420pBytes(width, height)
  if (data.buffer !== k.memory.buffer || data.byteOffset !== l.data) new Uint8Array(k.memory.buffer, l.data, bytes).set(data.subarray(0, bytes))
  k.downsampleFrame(l.geometry)
  return new Float32Array(k.memory.buffer.slice(l.out, l.out + DOWNSAMPLED_SIDE * DOWNSAMPLED_SIDE * 4))
}

/**
 * dct64To16 (pdq-dct.ts) of the 64×64 image the last `downsampleRgb24Wasm` or
 * `downsampleYuv420pWasm` call on this thread gave, computed in the kernel: the same doubles.
 */
export function dctOfLastWasm (): Float64Array {
  const k = kernel as Kernel
  const l = layout as Layout
  k.dct64To16(l.geometry)
  return new Float64Array(k.memory.buffer.slice(l.dctOut, l.dctOut + DCT_SIDE * DCT_SIDE * 8))
}
