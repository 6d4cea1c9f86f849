import type { CaseEvent, CaseEventOf } from '@pc/contracts'
import { RuleViolationError } from '../errors.js'
import { addBusinessMinutes } from '../sla/business-calendar.js'
import type { CaseCommandOf } from './case.commands.js'
import { CaseRule, ms, nextUpdateDue, pausedMinutes, requireStatus } from './case.rules.js'
import type { StatusOf } from './case.rules.js'
import { OPEN_STATUSES } from './case.state.js'
import type { ActiveCaseState } from './case.state.js'

// Resolve (处理): the case is resolved, followed up (回访), reopened or withdrawn.

export function resolve(command: CaseCommandOf<'resolve'>, state: ActiveCaseState, at: string): CaseEvent[] {
  requireStatus(state, command.type, ['in_progress'])
  if (state.kind === 'dispute' && state.mediation?.status === 'open') {
    throw new RuleViolationError(CaseRule.MEDIATION_NOT_CONCLUDED, 'the mediation of this dispute is still open')
  }
  return [
    {
      type: 'CaseResolved',
      data: { resolution: command.data.resolution, withinSla: ms(at) <= ms(state.sla.resolution.dueAt), at },
    },
  ]
}

export function followUp(command: CaseCommandOf<'follow_up'>, state: ActiveCaseState, at: string): CaseEvent[] {
  requireStatus(state, command.type, ['resolved'])
  const { rating, method } = command.data
  const comment = command.data.comment ?? null
  const reopens = rating <= 2
  const followedUp: CaseEvent = { type: 'CaseFollowedUp', data: { rating, comment, method, reopens, at } }
  if (!reopens) return [followedUp]
  return [followedUp, reopened(state, at, `dissatisfied at follow-up (rating ${rating})`, { rating, comment })]
}

export function reopen(command: CaseCommandOf<'reopen'>, state: ActiveCaseState, at: string): CaseEvent[] {
  requireStatus(state, command.type, ['resolved', 'followed_up', 'closed'])
  return [reopened(state, at, command.data.reason, null)]
}

/**
 * The resolution clock continues from where it stood: it stopped at resolution, so its deadline moves by the
 * calendar time since. Overdue flags clear, and the reopen is counted (which makes a review necessary).
 */
function reopened(
  state: StatusOf<'resolved' | 'followed_up' | 'closed'>,
  at: string,
  reason: string,
  feedback: { rating: number; comment: string | null } | null,
): CaseEventOf<'CaseReopened'> {
  const { sla } = state
  const paused = pausedMinutes(sla.resolution.stoppedAt ?? sla.resolution.resolvedAt ?? at, at, sla.terms.calendar)
  return {
    type: 'CaseReopened',
    data: {
      reason,
      feedback,
      previousStatus: state.status,
      reopenCount: state.reopenCount + 1,
      pausedMinutes: paused,
      resolutionDueAt: addBusinessMinutes(sla.resolution.dueAt, paused, sla.terms.calendar),
      updateDueAt: nextUpdateDue(sla, at),
      at,
    },
  }
}

export function withdraw(command: CaseCommandOf<'withdraw'>, state: ActiveCaseState, at: string): CaseEvent[] {
  requireStatus(state, command.type, OPEN_STATUSES)
  return [{ type: 'CaseWithdrawn', data: { reason: command.data.reason, previousStatus: state.status, at } }]
}
