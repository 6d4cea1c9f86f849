import type { AnyContext, ProjectionDeps, ReactorDeps } from './context.js'
import type { DeadlineWatcher } from './kit/deadline-watcher.js'
import { cases } from './cases/cases.context.js'
import { disclosures } from './disclosures/disclosures.context.js'
import { ledger } from './ledger/ledger.context.js'
import { mediation } from './mediation/mediation.context.js'
import { subjects } from './subjects/subjects.context.js'
import type { Projection } from '@pc/read-models'

/**
 * Every bounded context, one line each: the one list the services iterate. Add a context here and it has its
 * routes, projections, reactors, watchers, OpenAPI tag and export prefix.
 */
export const contexts: readonly AnyContext[] = Object.freeze([cases, mediation, disclosures, subjects, ledger])

/** Every read model of the given contexts: what the projector runs and `cli rebuild --all` rebuilds. */
export function contextProjections(list: readonly AnyContext[], deps: ProjectionDeps = {}): Projection[] {
  return list.flatMap((context) => context.projections?.(deps) ?? [])
}

/** Every reactor of the given contexts. */
export function contextReactors(list: readonly AnyContext[], deps: ReactorDeps): Projection[] {
  return list.flatMap((context) => context.reactors?.(deps) ?? [])
}

/** Every deadline watcher of the given contexts. */
export function contextWatchers(list: readonly AnyContext[]): DeadlineWatcher[] {
  return list.flatMap((context) => context.watchers ?? [])
}

/** The context that owns a stored event type, if any. */
export function contextOfEventType(list: readonly AnyContext[], type: string): AnyContext | undefined {
  return list.find((context) => context.eventTypes.includes(type))
}
