const PERCEPTUAL_HASH_BYTES = 32; const f = Math.fround;
// The reference computes in single precision with these constants.
const LUMA_R = Math.fround(0.299);
const LUMA_G = Math.fround(0.587);
const LUMA_B = Math.fround(0.114);
/** Images smaller than this on either side get the all-zero hash with quality 0, as in the reference. */
const MIN_HASHABLE_SIDE = 5;
const DOWNSAMPLED_SIDE = 64;
const DCT_SIDE = 16;
const JAROSZ_PASSES = 2;
/** Rows 1..16 of the 64-point DCT-II basis (row 0, the DC term, carries no structure). */
const DCT_MATRIX = (() => {
    const m = new Float32Array(DCT_SIDE * DOWNSAMPLED_SIDE);
    const scale = Math.sqrt(2 / DOWNSAMPLED_SIDE);
    for (let i = 0; i < DCT_SIDE; i++) {
        for (let k = 0; k < DOWNSAMPLED_SIDE; k++) {
            m[i * DOWNSAMPLED_SIDE + k] = f(f(scale) * Math.cos((Math.PI / 2 / DOWNSAMPLED_SIDE) * (i + 1) * (2 * k + 1)));
        }
    }
    return m;
})();
/** PDQ hash and quality of decoded RGBA pixels (alpha is ignored, like the reference). */
export function pdqHash(image) {
    const { width, height, data } = image;
    if (width < MIN_HASHABLE_SIDE || height < MIN_HASHABLE_SIDE)
        return { hash: new Uint8Array(PERCEPTUAL_HASH_BYTES), quality: 0 };
    const luma = new Float32Array(width * height);
    for (let p = 0, q = 0; p < luma.length; p++, q += 4) {
        luma[p] = f(f(f(LUMA_R * data[q]) + f(LUMA_G * data[q + 1])) + f(LUMA_B * data[q + 2]));
    }
    return pdqHashFromLuma(luma, width, height);
}
/**
 * PDQ of a luminance plane (row-major, `width * height` values in 0–255). The plane is
 * used as scratch space and overwritten.
 */
export function pdqHashFromLuma(luma, width, height) {
    if (width < MIN_HASHABLE_SIDE || height < MIN_HASHABLE_SIDE)
        return { hash: new Uint8Array(PERCEPTUAL_HASH_BYTES), quality: 0 };
    const small = downsampleTo64(luma, width, height);
    const quality = qualityOf(small);
    const coefficients = dct64To16(small);
    return { hash: coefficientsToHash(coefficients), quality };
}
/** Blur with the tent filter, then take the centre sample of each 64×64 cell. */
function downsampleTo64(luma, width, height) {
    const out = new Float32Array(DOWNSAMPLED_SIDE * DOWNSAMPLED_SIDE);
    if (width === DOWNSAMPLED_SIDE && height === DOWNSAMPLED_SIDE) {
        out.set(luma);
        return out;
    }
    const rowWindow = jaroszWindow(width);
    const colWindow = jaroszWindow(height);
    const scratch = new Float32Array(luma.length);
    for (let pass = 0; pass < JAROSZ_PASSES; pass++) {
        for (let y = 0; y < height; y++)
            boxAlongRow(luma, scratch, y * width, width, rowWindow);
        boxAlongColumns(scratch, luma, width, height, colWindow);
    }
    for (let i = 0; i < DOWNSAMPLED_SIDE; i++) {
        const y = Math.floor(((i + 0.5) * height) / DOWNSAMPLED_SIDE);
        for (let j = 0; j < DOWNSAMPLED_SIDE; j++) {
            const x = Math.floor(((j + 0.5) * width) / DOWNSAMPLED_SIDE);
            out[i * DOWNSAMPLED_SIDE + j] = luma[y * width + x];
        }
    }
    return out;
}
/** Half of a 64th of the side, rounded up: two passes then span a whole 64th. */
function jaroszWindow(side) {
    return Math.floor((side + 2 * DOWNSAMPLED_SIDE - 1) / (2 * DOWNSAMPLED_SIDE));
}
/**
 * The reference's window around sample k reaches `behind` samples back and `ahead`
 * samples forward (for even windows one more forward), clipped at the edges, and each
 * output is the mean of the samples actually inside.
 */
function windowReach(window) {
    const half = Math.floor((window + 2) / 2);
    return { behind: window - half, ahead: half - 1 };
}
function boxAlongRow(src, dst, start, length, window) {
    const { behind, ahead } = windowReach(window);
    let sum = 0;
    let lo = 0;
    let hi = -1;
    for (let k = 0; k < length; k++) {
        const wantHi = Math.min(length - 1, k + ahead);
        while (hi < wantHi)
            sum = f(sum + src[start + ++hi]);
        while (lo < k - behind)
            sum = f(sum - src[start + lo++]);
        dst[start + k] = sum / (hi - lo + 1);
    }
}
/** The same filter down every column at once, walking whole rows to stay cache-friendly. */
function boxAlongColumns(src, dst, width, height, window) {
    const { behind, ahead } = windowReach(window);
    const sums = new Float32Array(width);
    let lo = 0;
    let hi = -1;
    for (let k = 0; k < height; k++) {
        const wantHi = Math.min(height - 1, k + ahead);
        while (hi < wantHi) {
            const row = ++hi * width;
            for (let x = 0; x < width; x++)
                sums[x] = f(sums[x] + src[row + x]);
        }
        while (lo < k - behind) {
            const row = lo++ * width;
            for (let x = 0; x < width; x++)
                sums[x] = f(sums[x] - src[row + x]);
        }
        const count = hi - lo + 1;
        const out = k * width;
        for (let x = 0; x < width; x++)
            dst[out + x] = sums[x] / count;
    }
}
/**
 * Sum of quantised vertical and horizontal gradients, scaled so that typical photos
 * reach 100; the constants are the reference's hand-tuned ones.
 */
function qualityOf(a) {
    const n = DOWNSAMPLED_SIDE;
    let gradients = 0;
    for (let i = 0; i < n - 1; i++) {
        for (let j = 0; j < n; j++)
            gradients += Math.abs(Math.trunc(((a[i * n + j] - a[(i + 1) * n + j]) * 100) / 255));
    }
    for (let i = 0; i < n; i++) {
        for (let j = 0; j < n - 1; j++)
            gradients += Math.abs(Math.trunc(((a[i * n + j] - a[i * n + j + 1]) * 100) / 255));
    }
    return Math.min(100, Math.floor(gradients / 90));
}
/** B = D A Dᵀ with D the 16×64 DCT basis: only the 16×16 coefficients we keep. */
function dct64To16(a) {
    const n = DOWNSAMPLED_SIDE;
    const d = DCT_MATRIX;
    const t = new Float32Array(DCT_SIDE * n);
    for (let i = 0; i < DCT_SIDE; i++) {
        for (let j = 0; j < n; j++) {
            let sum = 0;
            for (let k = 0; k < n; k++)
                sum = f(sum + f(d[i * n + k] * a[k * n + j]));
            t[i * n + j] = sum;
        }
    }
    const b = new Float32Array(DCT_SIDE * DCT_SIDE);
    for (let i = 0; i < DCT_SIDE; i++) {
        for (let j = 0; j < DCT_SIDE; j++) {
            let sum = 0;
            for (let k = 0; k < n; k++)
                sum = f(sum + f(t[i * n + k] * d[j * n + k]));
            b[i * DCT_SIDE + j] = sum;
        }
    }
    return b;
}
/**
 * Bit i*16+j is set when coefficient (i, j) exceeds the median (the 128th smallest, as the
 * reference's Torben median gives). The reference keeps 16 words of 16 bits, word i holding
 * row i, and prints word 15 first: so row i lands in bytes 30-2i (bits 15..8) and 31-2i (bits 7..0).
 */
function coefficientsToHash(b) {
    const median = Float32Array.from(b).sort()[b.length / 2 - 1];
    const hash = new Uint8Array(PERCEPTUAL_HASH_BYTES);
    for (let i = 0; i < DCT_SIDE; i++) {
        let word = 0;
        for (let j = 0; j < DCT_SIDE; j++) {
            if (b[i * DCT_SIDE + j] > median)
                word |= 1 << j;
        }
        hash[30 - 2 * i] = word >>> 8;
        hash[31 - 2 * i] = word & 0xff;
    }
    return hash;
}
//# sourceMappingURL=pdq.js.map