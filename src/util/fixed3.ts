/**
 * `x` to 3 decimals as glibc's printf gives it: the exact binary value rounded to nearest,
 * ties to even. `toFixed` agrees except on exact ties, which it rounds up; a single-precision
 * timestamp such as 1/16 s = 0.0625 is one.
 */
export function fixed3 (x: number): string {
  const twice = x * 2000 // exact for the float-precision timestamps vPDQ produces
  if (Number.isInteger(twice) && twice % 2 !== 0) {
    const down = Math.floor(x * 1000)
    const even = down % 2 === 0 ? down : down + 1
    return (even / 1000).toFixed(3)
  }
  return x.toFixed(3)
}
