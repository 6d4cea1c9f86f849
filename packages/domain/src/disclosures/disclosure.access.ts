import type { DisclosureCommandType, Role } from '@pc/contracts'
import type { CommandActor } from '../decider.js'
import type { DisclosureState } from './disclosure.state.js'

export type DisclosureAccessDecision = 'allow' | 'forbidden' | 'not_found'

/** Which roles may issue each command (DESIGN §1, issue 6). */
export const DISCLOSURE_COMMAND_ROLES = {
  draft: ['manager'],
  revise: ['manager'],
  publish: ['manager'],
  correct: ['manager'],
  retract: ['manager'],
  comment: ['resident', 'committee'],
  object: ['resident'],
  committee_review: ['committee'],
} as const satisfies Record<DisclosureCommandType, readonly Role[]>

/**
 * Whether `actor` may know the disclosure exists: a draft is the managers' working copy and is invisible to
 * everyone else; a published or retracted one is readable by every authenticated user.
 *
 * @example
 * isDisclosureVisibleTo({ id: 'r1', roles: ['resident'] }, 'draft') // false
 */
export function isDisclosureVisibleTo(actor: CommandActor, status: DisclosureState['status']): boolean {
  if (status === 'none') return false
  return status !== 'draft' || actor.roles.includes('manager')
}

/**
 * Who may issue which disclosure command. Pure; the decider calls it first, so the answer is always about the
 * state the decision is made on. Existence is answered before the role, so a resident asking about a draft (or a
 * disclosure that was never drafted) gets `not_found` and learns nothing; `draft` creates, so it is a question of
 * role alone.
 *
 * @example
 * authorizeDisclosureCommand('object', { id: 'c1', roles: ['committee'] }, publishedState) // 'forbidden'
 */
export function authorizeDisclosureCommand(
  commandType: DisclosureCommandType,
  actor: CommandActor,
  state: DisclosureState,
): DisclosureAccessDecision {
  const allowedRoles: readonly string[] = DISCLOSURE_COMMAND_ROLES[commandType]
  const hasRole = actor.roles.some((role) => allowedRoles.includes(role))
  if (commandType === 'draft') return hasRole ? 'allow' : 'forbidden'
  if (!isDisclosureVisibleTo(actor, state.status)) return 'not_found'
  return hasRole ? 'allow' : 'forbidden'
}
