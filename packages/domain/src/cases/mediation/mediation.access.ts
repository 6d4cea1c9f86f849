import type { Role } from '@pc/contracts'
import type { CommandActor } from '../../decider.js'
import type { AccessDecision } from '../case.access.js'
import { SLA_ACTOR } from '../case.commands.js'
import type { CaseState } from '../case.state.js'
import type { MediationCommand, MediationCommandName } from './mediation.commands.js'
import { MEDIATION_WATCH_COMMANDS, PARTY_OWN_COMMANDS } from './mediation.commands.js'
import { isParty } from './mediation.state.js'

/**
 * The roles that may issue a mediation command in some case: what `authorizeMediationCommand` can ever allow.
 * The HTTP edge refuses everyone else with 403 before reading the body (see `caseCommandRoles`). The watch
 * commands are the SLA worker's, never a route's: no role.
 *
 * @example
 * mediationCommandRoles('respond_to_agreement') // ['manager', 'mediator', 'resident']
 */
export function mediationCommandRoles(commandType: MediationCommandName): readonly Role[] {
  if (MEDIATION_WATCH_COMMANDS.has(commandType)) return []
  return PARTY_OWN_COMMANDS.has(commandType) ? ['manager', 'mediator', 'resident'] : ['manager', 'mediator']
}

/**
 * Who may issue which mediation command (issue 5). Pure; the mediation decider calls it first.
 * - managers run any mediation; a mediator runs the mediation that names them (and opens one naming themselves);
 * - a party answers a proposal, or declines, for themselves only (a resident whose `sub` is the `partyId`);
 * - the SLA worker (`system:sla`) records a passed deadline and overdue terms;
 * - staff read mediations but do not run them: `forbidden`, like everyone else;
 * - a resident who is neither a party nor the case's reporter gets `not_found`, so nothing leaks.
 *
 * @example
 * authorizeMediationCommand({ type: 'extend_mediation', data, actor: { id: 'm-2', roles: ['mediator'] } }, state)
 * // 'forbidden' when the mediation names another mediator
 */
export function authorizeMediationCommand(command: MediationCommand, state: CaseState): AccessDecision {
  const { actor } = command
  const exists = state.status !== 'none'

  if (MEDIATION_WATCH_COMMANDS.has(command.type)) {
    if (actor.id !== SLA_ACTOR.id) return 'forbidden'
    return exists ? 'allow' : 'not_found'
  }
  if (!exists) return 'not_found'

  const roles = new Set(actor.roles)
  if (roles.has('manager')) return 'allow'
  const mediation = state.mediation
  if (roles.has('mediator') && mediatorMay(command, actor, mediation?.mediatorId)) return 'allow'

  if (roles.has('resident')) {
    const party = mediation !== null && isParty(mediation, actor.id)
    if (!party && state.reporterId !== actor.id) return 'not_found'
    if (party && PARTY_OWN_COMMANDS.has(command.type) && partyIdOf(command) === actor.id) return 'allow'
    return 'forbidden'
  }
  return 'forbidden'
}

/**
 * The mediator named by the current mediation runs it; a new mediation is opened by the mediator it names. Before
 * any mediation a mediator passes, so the rule (no mediation open) answers rather than access.
 */
function mediatorMay(command: MediationCommand, actor: CommandActor, current: string | undefined): boolean {
  if (command.type === 'open_mediation') return command.data.mediatorId === actor.id
  return current === undefined || current === actor.id
}

function partyIdOf(command: MediationCommand): string | undefined {
  return command.type === 'respond_to_agreement' || command.type === 'record_refusal' ? command.data.partyId : undefined
}
