import type { CaseEvent } from '@pc/contracts'
import { RuleViolationError } from '../errors.js'
import type { CaseCommandOf } from './case.commands.js'
import { CaseRule, requireStatus } from './case.rules.js'
import { requiresReview } from './case.state.js'
import type { ActiveCaseState } from './case.state.js'

// Review (反馈/复盘): lessons from a resolved case, and closing it once a review it needs is done.

export function review(command: CaseCommandOf<'review'>, state: ActiveCaseState, at: string): CaseEvent[] {
  requireStatus(state, command.type, ['resolved', 'followed_up'])
  return [{ type: 'CaseReviewed', data: { ...command.data, preventiveActions: [...command.data.preventiveActions], at } }]
}

export function close(state: ActiveCaseState, at: string): CaseEvent[] {
  requireStatus(state, 'close', ['followed_up'])
  const reviewRequired = requiresReview(state)
  if (reviewRequired && !state.reviewed) {
    throw new RuleViolationError(
      CaseRule.REVIEW_REQUIRED,
      'this case must be reviewed before it is closed (escalated, reopened, dispute, warning or urgent)',
    )
  }
  return [{ type: 'CaseClosed', data: { reviewRequired, at } }]
}
