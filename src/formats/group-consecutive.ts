/**
 * Groups runs of consecutive items with the same key (`undefined`: never grouped) while
 * `fits(group, item)` holds, so a writer can put the hashes of one NCMEC entry or VICS Media
 * record back together without holding the whole export.
 */
export async function * groupConsecutive<T> (
  items: AsyncIterable<T>,
  key: (item: T) => string | undefined,
  fits: (group: T[], item: T) => boolean = () => true
): AsyncGenerator<T[]> {
  let group: T[] = []
  let groupKey: string | undefined
  for await (const item of items) {
    const k = key(item)
    if (group.length > 0 && (k === undefined || k !== groupKey || !fits(group, item))) {
      yield group
      group = []
    }
    group.push(item)
    groupKey = k
  }
  if (group.length > 0) yield group
}
