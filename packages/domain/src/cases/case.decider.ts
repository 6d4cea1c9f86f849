import type { CaseEvent, CaseStreamEvent } from '@pc/contracts'
import type { Decider } from '../decider.js'
import type { CaseCommand, CaseContext } from './case.commands.js'
import { decide } from './case.decide.js'
import { evolve } from './case.evolve.js'
import { initialCaseState } from './case.state.js'
import type { CaseState } from './case.state.js'

/** A decider of case commands whose `evolve` folds the whole case stream, a dispute's mediation events included. */
export interface CaseDecider extends Decider<CaseCommand, CaseEvent, CaseState, CaseContext> {
  evolve(state: CaseState, event: CaseStreamEvent): CaseState
}

/**
 * The case decider (DESIGN §4): the closed loop warn → respond → resolve → review (预警 → 响应 → 处理 → 反馈/复盘).
 * `decide` is in `case.decide.ts` (one file per stage of the loop beside it), `evolve` in `case.evolve.ts`.
 *
 * @example
 * const state = events.reduce(caseDecider.evolve, caseDecider.initialState)
 * const newEvents = caseDecider.decide(
 *   { type: 'acknowledge', data: {}, actor: { id: 'staff-1', roles: ['staff'] } },
 *   state,
 *   { now: new Date().toISOString(), slaPolicy: DEFAULT_SLA_POLICY },
 * )
 */
export const caseDecider: CaseDecider = {
  initialState: initialCaseState,
  decide,
  evolve,
}
