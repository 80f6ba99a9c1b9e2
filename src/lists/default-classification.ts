import type { ClassificationName } from '../log/entry.js'

/**
 * The classification of a hash imported or added without one (no `--classification`, no
 * column in the file): `national`, illegal where the publishing hotline works. That is what a
 * hotline asserts by listing a hash at all; `baseline` (illegal everywhere) is a stronger
 * claim it must make explicitly. Matches on hashes published before this default (no
 * classification in the log) are answered with it too, so every match carries one.
 */
export const DEFAULT_CLASSIFICATION: ClassificationName = 'national'
