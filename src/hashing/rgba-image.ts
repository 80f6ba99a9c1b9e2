/** Decoded pixels: 8-bit RGBA, row-major, `data.length === width * height * 4`. */
export interface RgbaImage {
  width: number
  height: number
  data: Uint8Array
}
