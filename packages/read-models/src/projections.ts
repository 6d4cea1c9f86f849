import { caseProjections } from './cases/index.js'
import { disclosureProjection } from './disclosures/index.js'
import { ledgerProjection, type LedgerProjectionOptions } from './ledger/index.js'
import { mediationProjection } from './mediation/index.js'
import type { Projection } from './projection.js'

export interface ReadModelProjectionsOptions {
  /** The ledger projection's signer and head interval (DESIGN §6). */
  ledger?: LedgerProjectionOptions
}

/**
 * Every projection the projector runs and `cli rebuild --all` rebuilds: one list, so the two never disagree.
 *
 * @example
 * const runner = new ProjectionRunner({ db, store, connectionString, projections: readModelProjections({ ledger }) })
 */
export function readModelProjections(options: ReadModelProjectionsOptions = {}): Projection[] {
  return [...caseProjections, mediationProjection, disclosureProjection, ledgerProjection(options.ledger ?? {})]
}

/**
 * The projections named (for `cli rebuild <name>…`), or all of them for `'all'` (`--all`); an unknown name throws,
 * listing the known ones.
 *
 * @example
 * await rebuildProjections({ db, store, projections: selectProjections(readModelProjections(), ['case-list']) })
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
