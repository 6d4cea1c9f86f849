import type { Role } from '@pc/contracts'
import type { CommandActor } from '../decider.js'
import type { CaseCommandName } from './case.commands.js'
import { SLA_ACTOR } from './case.commands.js'
import type { CaseState } from './case.state.js'

export type AccessDecision = 'allow' | 'forbidden' | 'not_found'

/** Commands a resident may issue on a case they reported (a note only if public). */
const RESIDENT_OWN_CASE_COMMANDS: ReadonlySet<CaseCommandName> = new Set(['note', 'follow_up', 'reopen', 'withdraw'])

/** Commands a technician may issue on a case assigned to them. */
const TECHNICIAN_COMMANDS: ReadonlySet<CaseCommandName> = new Set(['note', 'resolve'])

/**
 * The roles that may issue a case command on some case: everything `authorizeCaseCommand` can ever allow
 * (`case.access.unit.test.ts` checks the two agree). The HTTP edge refuses every other caller with 403 before it
 * reads the body, so a resident learns nothing of a staff command's shape, and answers the same whether the case
 * exists or not; whose case it is, and a note's visibility, stay the decider's. `record_overdue` is the SLA
 * worker's, never a route's: no role.
 *
 * @example
 * caseCommandRoles('assign') // ['staff', 'manager']
 */
export function caseCommandRoles(commandType: CaseCommandName): readonly Role[] {
  if (commandType === 'record_overdue') return []
  if (commandType === 'review') return ['manager']
  const roles: Role[] = ['staff', 'manager']
  if (TECHNICIAN_COMMANDS.has(commandType)) roles.push('technician')
  if (commandType === 'report' || RESIDENT_OWN_CASE_COMMANDS.has(commandType)) roles.push('resident')
  return roles
}

/** The parts of a command body access depends on. */
export interface AccessRelevantData {
  visibility?: string
  reporterId?: string
}

/**
 * Who may issue which case command (DESIGN §5, issue 3). Pure; the decider calls it first, so the answer is
 * always about the state the decision is made on.
 * - residents report (as themselves), and note (public only), follow up, reopen and withdraw their own cases;
 * - staff and managers issue every staff command; only managers review;
 * - technicians note and resolve cases assigned to them;
 * - the SLA worker (`system:sla`) records overdue clocks;
 * - a resident touching a case that is not theirs — or does not exist — gets `not_found`, so nothing leaks;
 * - everyone else gets `forbidden`.
 *
 * `data` matters for `note` (visibility) and `report` (on whose behalf): pass the command body. Without it a
 * resident's note is refused, since it might be internal.
 *
 * @example
 * authorizeCaseCommand('review', { id: 'u1', roles: ['staff'] }, state) // 'forbidden'
 */
export function authorizeCaseCommand(
  commandType: CaseCommandName,
  actor: CommandActor,
  state: CaseState,
  data?: AccessRelevantData,
): AccessDecision {
  const roles = new Set(actor.roles)
  const exists = state.status !== 'none'

  if (commandType === 'record_overdue') {
    if (actor.id !== SLA_ACTOR.id) return 'forbidden'
    return exists ? 'allow' : 'not_found'
  }

  if (commandType === 'report') {
    if (roles.has('staff') || roles.has('manager')) return 'allow'
    if (roles.has('resident')) {
      // A resident reports as themselves, never on someone else's behalf.
      return data?.reporterId === undefined || data.reporterId === actor.id ? 'allow' : 'forbidden'
    }
    return 'forbidden'
  }

  // Every command left is a staff command; review is the managers' alone.
  const staffMay = commandType === 'review' ? roles.has('manager') : roles.has('staff') || roles.has('manager')
  if (staffMay) return exists ? 'allow' : 'not_found'

  if (roles.has('technician') && TECHNICIAN_COMMANDS.has(commandType) && exists && state.assigneeId === actor.id) {
    return 'allow'
  }

  if (roles.has('resident')) {
    if (!exists || state.reporterId !== actor.id) return 'not_found'
    if (!RESIDENT_OWN_CASE_COMMANDS.has(commandType)) return 'forbidden'
    if (commandType === 'note' && data?.visibility !== 'public') return 'forbidden'
    return 'allow'
  }

  if (roles.has('technician') && TECHNICIAN_COMMANDS.has(commandType)) return exists ? 'forbidden' : 'not_found'
  return 'forbidden'
}
