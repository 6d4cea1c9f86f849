import type { Projection } from './projection.js'

/**
 * The projections named (for `cli rebuild <name>…`), or all of them for `'all'` (`--all`); an unknown name throws,
 * listing the known ones.
 *
 * @example
 * await rebuildProjections({ db, store, projections: selectProjections(contextProjections(contexts), ['case-list']) })
 */
export function selectProjections(all: readonly Projection[], names: readonly string[] | 'all'): Projection[] {
  if (names === 'all') return [...all]
  const byName = new Map(all.map((p) => [p.name, p]))
  return names.map((name) => {
    const projection = byName.get(name)
    if (!projection) throw new RangeError(`no projection named ${name}; known: ${[...byName.keys()].join(', ')}`)
    return projection
  })
}
