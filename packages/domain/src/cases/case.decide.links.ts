import type { CaseEvent } from '@pc/contracts'
import { RuleViolationError } from '../errors.js'
import { addBusinessMinutes } from '../sla/business-calendar.js'
import type { CaseCommandOf } from './case.commands.js'
import { CaseRule, nextUpdateDue, pausedMinutes, requireStatus } from './case.rules.js'
import { OPEN_STATUSES } from './case.state.js'
import type { ActiveCaseState } from './case.state.js'

// Related cases: links between them, and merging a duplicate into a primary case (and back).

export function link(command: CaseCommandOf<'link'>, state: ActiveCaseState, at: string): CaseEvent[] {
  const other = command.data.caseId
  if (other === state.id) throw new RuleViolationError(CaseRule.SELF_LINK, 'a case cannot be linked to itself', 'caseId')
  if (state.links.includes(other)) {
    throw new RuleViolationError(CaseRule.ALREADY_LINKED, 'the cases are already linked', 'caseId')
  }
  return [{ type: 'CaseLinked', data: { linkedCaseId: other, at } }]
}

export function unlink(command: CaseCommandOf<'unlink'>, state: ActiveCaseState, at: string): CaseEvent[] {
  if (!state.links.includes(command.data.caseId)) {
    throw new RuleViolationError(CaseRule.NOT_LINKED, 'the cases are not linked', 'caseId')
  }
  return [{ type: 'CaseUnlinked', data: { linkedCaseId: command.data.caseId, at } }]
}

export function merge(command: CaseCommandOf<'merge'>, state: ActiveCaseState, at: string): CaseEvent[] {
  requireStatus(state, command.type, OPEN_STATUSES)
  if (command.data.intoCaseId === state.id) {
    throw new RuleViolationError(CaseRule.SELF_MERGE, 'a case cannot be merged into itself', 'intoCaseId')
  }
  return [{ type: 'CaseMerged', data: { intoCaseId: command.data.intoCaseId, previousStatus: state.status, at } }]
}

/**
 * Back to the status before the merge. Time spent merged did not count: running clocks' deadlines move by it. A
 * case merged while on hold goes back on hold with its clock still stopped, to move when it is resumed.
 */
export function unmerge(state: ActiveCaseState, at: string): CaseEvent[] {
  requireStatus(state, 'unmerge', ['merged'])
  const { sla, merge } = state
  const restored = merge.previousStatus
  const paused =
    restored === 'on_hold' ? 0 : pausedMinutes(sla.resolution.stoppedAt ?? merge.at, at, sla.terms.calendar)
  const move = (dueAt: string) => addBusinessMinutes(dueAt, paused, sla.terms.calendar)
  return [
    {
      type: 'CaseUnmerged',
      data: {
        fromCaseId: merge.intoCaseId,
        restoredStatus: restored,
        pausedMinutes: paused,
        responseDueAt: sla.response.respondedAt === null ? move(sla.response.dueAt) : sla.response.dueAt,
        resolutionDueAt: move(sla.resolution.dueAt),
        updateDueAt: restored === 'reported' || restored === 'on_hold' ? null : nextUpdateDue(sla, at),
        at,
      },
    },
  ]
}
