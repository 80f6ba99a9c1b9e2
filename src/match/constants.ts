/**
 * Default near-match threshold for PDQ: the PDQ authors advise treating hashes within
 * Hamming distance 31 (of 256 bits) as the same image.
 */
export const DEFAULT_PDQ_THRESHOLD = 31

/**
 * Default near-match threshold for 256-bit blockhash. Blockhash's design goals (blockhash.io)
 * are that a rescaled copy differs by at most 10 bits in 95% of cases and that unrelated
 * images rarely come within 10 bits. Operators can change it.
 */
export const DEFAULT_BLOCKHASH_THRESHOLD = 10

/** The largest threshold anyone can ask for: every 256-bit hash is within 256 of every other. */
export const MAX_NEAR_DISTANCE = 256

/**
 * The exact table doubles its slot array when more than this share of slots is used. With
 * linear probing, 0.7 keeps the expected probes for a miss under ~6 and for a hit under ~2.
 */
export const EXACT_MAX_LOAD = 0.7

/** Entry arrays start this small and grow by half each time: 1M entries waste at most a third. */
export const EXACT_INITIAL_ENTRIES = 1024

/**
 * Multi-index hashing cuts a 256-bit hash into substrings of about log2(hashes) bits, one
 * directly addressed table per substring, so a bucket holds about one hash. Measured at 1M
 * random PDQ hashes (2-core EPYC, Node 20): 13 substrings of ~20 bits answer a distance-31
 * query in ~0.33 ms and distance 40 in ~1.3 ms, against ~0.5 ms and ~2.9 ms for 16 substrings
 * of 16 bits (linear scan: ~15 ms). The bounds keep tiny indexes from shrinking substrings
 * (more tables) and huge ones from allocating tables of 2^23+ buckets. With the phased probe
 * (multi-index.ts), measured in one process on a loaded 2-core machine: 600k hashes 242 µs
 * at 19 bits (the default) and 208 at 20; 2M hashes 571 µs at 20-21 bits (the default) and
 * 344 at 22, which holds ~270 MB of buckets against ~155 MB: not taken, memory counts at 10M.
 */
export const MIH_MIN_SUBSTRING_BITS = 16
export const MIH_MAX_SUBSTRING_BITS = 22

/** Hashes added since the last build sit in linked lists over 16 substrings of this width. */
export const MIH_DELTA_SUBSTRING_BITS = 16

/**
 * Hashes added since the last build of the multi-index wait in a small linked-list index
 * until they (with removals since the build) exceed this many, or an eighth of the built
 * index, whichever is more; then the next query rebuilds (~1 s per million hashes on an idle
 * 2-core machine). Bulk loads therefore cost one rebuild, and `optimize()` can do it upfront.
 */
export const MIH_REBUILD_MIN = 4096

/**
 * When the buckets a query would probe are expected to hold more than this share of all
 * hashes, a plain scan is cheaper than the index: from distance ~75 (1k-100k hashes) or ~83
 * (1M), far beyond useful PDQ or blockhash thresholds.
 */
export const MIH_LINEAR_SHARE = 0.5
