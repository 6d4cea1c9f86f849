/**
 * `@pc/contexts`: every bounded context described once — stream prefix, codec, decider, command specs, query
 * routes, projections, reactors and deadline watchers — in the one list (`contexts`) the services iterate.
 *
 * @example
 * import { contexts, contextProjections } from '@pc/contexts'
 * for (const context of contexts) for (const spec of context.commands) commandRoute(app, context, spec, deps)
 */
export * from './context.js'
export { contexts, contextOfEventType, contextProjections, contextReactors, contextWatchers } from './contexts.js'
export { cases } from './cases/cases.context.js'
export { mediation } from './mediation/mediation.context.js'
export { disclosures } from './disclosures/disclosures.context.js'
export { ledger, type TreeHeadSignedEvent } from './ledger/ledger.context.js'
export { subjects } from './subjects/subjects.context.js'
export { showPersonal, type Shown, type ShowRequest } from './kit/personal.js'
export { WAIT_FOR_TIMEOUT_MS, type QueryDeps } from './kit/query-deps.js'
export { PROJECTION_POSITION_HEADER, PROJECTION_STALE_HEADER, WaitForQuery, readAt, type ReadOptions } from './kit/read-your-writes.js'
export { RawEvent, StreamEventsQuery, rawEvent, streamEventsPage, type StreamEventsPage } from './kit/stream-events.js'
export {
  deciderWatcher,
  type DeadlineWatcher,
  type DeciderWatcherSpec,
  type DueCommand,
  type FoundDeadline,
} from './kit/deadline-watcher.js'
export { slaBreachWatcher, findSlaBreaches } from './cases/sla-breach.watcher.js'
export { fulfilmentOverdueWatcher, mediationDeadlineWatcher } from './mediation/mediation.watchers.js'
export { objectionCaseReactor, openObjectionCase, OBJECTION_CASE_REACTOR } from './disclosures/objection-case.reactor.js'
export { replayCase } from './cases/case-history.js'
