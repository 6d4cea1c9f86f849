/**
 * `@pc/domain`: pure deciders per context — `decide(command, state, context) → events`,
 * `evolve(state, event) → state` — with no I/O and no clock.
 *
 * @example
 * import { caseDecider, DEFAULT_SLA_POLICY } from '@pc/domain'
 * const state = events.reduce(caseDecider.evolve, caseDecider.initialState)
 */
export * from './decider.js'
export * from './event-codec.js'
export * from './errors.js'
export * from './ids.js'
export * from './cases/index.js'
export * from './sla/index.js'
export * from './disclosures/index.js'
export * from './subjects/index.js'
