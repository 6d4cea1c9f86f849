import type { CaseEvent } from '@pc/contracts'
import { assertNever } from '../decider.js'
import { ForbiddenError, NotFoundError, RuleViolationError } from '../errors.js'
import { authorizeCaseCommand } from './case.access.js'
import type { AccessRelevantData } from './case.access.js'
import type { CaseCommand, CaseContext } from './case.commands.js'
import { link, merge, unlink, unmerge } from './case.decide.links.js'
import { followUp, reopen, resolve, withdraw } from './case.decide.resolve.js'
import { acknowledge, assign, escalate, hold, note, resume } from './case.decide.respond.js'
import { close, review } from './case.decide.review.js'
import { recordOverdue } from './case.decide.sla.js'
import { report } from './case.decide.warn.js'
import { CaseRule, ms } from './case.rules.js'
import type { CaseState } from './case.state.js'

function accessData(command: CaseCommand): AccessRelevantData | undefined {
  if (command.type === 'note') return { visibility: command.data.visibility }
  if (command.type === 'report') return command.data.reporterId === undefined ? {} : { reporterId: command.data.reporterId }
  return undefined
}

/**
 * Decides a case command (DESIGN §4): access first (`authorizeCaseCommand`: ForbiddenError → 403, NotFoundError →
 * 404), so a resident learns nothing about a case that is not theirs from a rule's answer; then the transition
 * and the rules (RuleViolationError → 422 with its `rule`). Each stage of the closed loop has its own file.
 */
export function decide(command: CaseCommand, state: CaseState, context: CaseContext): CaseEvent[] {
  const access = authorizeCaseCommand(command.type, command.actor, state, accessData(command))
  if (access === 'forbidden') throw new ForbiddenError(`not allowed to ${command.type.replaceAll('_', ' ')} this case`)
  if (access === 'not_found') throw new NotFoundError('case not found')

  // One normalised instant for every event of this command.
  const at = new Date(ms(context.now)).toISOString()

  if (command.type === 'report') {
    if (state.status !== 'none') {
      throw new RuleViolationError(CaseRule.INVALID_TRANSITION, 'the case has already been reported')
    }
    return [report(command, context, at)]
  }
  if (state.status === 'none') throw new NotFoundError('case not found')

  switch (command.type) {
    case 'acknowledge':
      return acknowledge(command, state, at)
    case 'assign':
      return assign(command, state, at)
    case 'hold':
      return hold(command, state, at)
    case 'resume':
      return resume(state, at)
    case 'note':
      return note(command, state, at)
    case 'escalate':
      return escalate(command, state, at)
    case 'resolve':
      return resolve(command, state, at)
    case 'follow_up':
      return followUp(command, state, at)
    case 'review':
      return review(command, state, at)
    case 'close':
      return close(state, at)
    case 'reopen':
      return reopen(command, state, at)
    case 'withdraw':
      return withdraw(command, state, at)
    case 'link':
      return link(command, state, at)
    case 'unlink':
      return unlink(command, state, at)
    case 'merge':
      return merge(command, state, at)
    case 'unmerge':
      return unmerge(state, at)
    case 'record_overdue':
      return recordOverdue(command, state, at)
    default:
      return assertNever(command)
  }
}
