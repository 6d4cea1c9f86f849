import type { SlaCalendar } from '@pc/contracts'
import { RuleViolationError } from '../errors.js'
import { addBusinessMinutes, businessMinutesBetween } from '../sla/business-calendar.js'
import type { ActiveCaseState, CaseSla } from './case.state.js'

/** Rule names a client may see in a 422 `RULE_VIOLATED` body. */
export const CaseRule = {
  /** The command does not apply to the case's status. */
  INVALID_TRANSITION: 'INVALID_TRANSITION',
  /** Escalated, reopened, dispute, warning or urgent cases are reviewed (复盘) before they close. */
  REVIEW_REQUIRED: 'REVIEW_REQUIRED',
  /** A dispute is not resolved while its mediation is open. */
  MEDIATION_NOT_CONCLUDED: 'MEDIATION_NOT_CONCLUDED',
  /** The case is already assigned to that person (and team). */
  ALREADY_ASSIGNED: 'ALREADY_ASSIGNED',
  /** A case cannot be linked to itself. */
  SELF_LINK: 'SELF_LINK',
  ALREADY_LINKED: 'ALREADY_LINKED',
  NOT_LINKED: 'NOT_LINKED',
  /** A case cannot be merged into itself. */
  SELF_MERGE: 'SELF_MERGE',
} as const
export type CaseRule = keyof typeof CaseRule

export type StatusOf<S extends ActiveCaseState['status']> = Extract<ActiveCaseState, { status: S }>

export function requireStatus<S extends ActiveCaseState['status']>(
  state: ActiveCaseState,
  commandType: string,
  allowed: readonly S[],
): asserts state is StatusOf<S> {
  if (!(allowed as readonly string[]).includes(state.status)) {
    throw new RuleViolationError(
      CaseRule.INVALID_TRANSITION,
      `cannot ${commandType.replaceAll('_', ' ')} a case that is ${state.status.replaceAll('_', ' ')}`,
    )
  }
}

export const ms = (iso: string) => Date.parse(iso)

/** Calendar time a clock stood still, never negative (clocks of two servers may disagree by a little). */
export function pausedMinutes(since: string, until: string, calendar: SlaCalendar): number {
  return Math.max(0, businessMinutesBetween(since, until, calendar))
}

export const nextUpdateDue = (sla: CaseSla, at: string) =>
  addBusinessMinutes(at, sla.terms.updateMinutes, sla.terms.calendar)
