import type { MediationCommandData, MediationCommandType } from '@pc/contracts'
import type { CommandActor } from '../../decider.js'

/**
 * Mediation commands: the HTTP body (validated by its zod schema in `@pc/contracts`) as `data`, who issues it as
 * `actor`. New ids come in the command (the route draws them, deterministically under an `Idempotency-Key`), so
 * the decider stays pure: `mediationId` when opening, `agreementId` when proposing. A response names the
 * agreement it answers (the `:agreementId` of its route).
 *
 * @example
 * const command: MediationCommand = { type: 'extend_mediation', data: { days: 10, reason: 'site visit' }, actor }
 */
export type HttpMediationCommand = {
  [T in MediationCommandType]: T extends 'open_mediation'
    ? { type: T; mediationId: string; data: MediationCommandData<T>; actor: CommandActor }
    : T extends 'propose_agreement' | 'respond_to_agreement'
      ? { type: T; agreementId: string; data: MediationCommandData<T>; actor: CommandActor }
      : { type: T; data: MediationCommandData<T>; actor: CommandActor }
}[MediationCommandType]

/**
 * Sent by the SLA worker (actor `system:sla`): records the mediation's deadline as passed, or every term of the
 * agreement past its due date and not fulfilled. Each breach once; nothing when there is none to record.
 */
export interface MediationWatchCommand {
  type: 'record_mediation_deadline_passed' | 'record_fulfilment_overdue'
  data: Record<string, never>
  actor: CommandActor
}

export type MediationCommand = HttpMediationCommand | MediationWatchCommand
export type MediationCommandName = MediationCommand['type']
export type MediationCommandOf<T extends MediationCommandName> = Extract<MediationCommand, { type: T }>

/** Every mediation command type, for exhaustive tables. */
export const MEDIATION_COMMAND_TYPES = [
  'open_mediation',
  'hold_session',
  'record_statement',
  'record_refusal',
  'propose_agreement',
  'respond_to_agreement',
  'extend_mediation',
  'conclude_mediation',
  'check_fulfilment',
  'record_court_confirmation',
  'record_mediation_deadline_passed',
  'record_fulfilment_overdue',
] as const satisfies readonly MediationCommandName[]

type Unlisted = Exclude<MediationCommandName, (typeof MEDIATION_COMMAND_TYPES)[number]>
const _everyCommandListed: [Unlisted] extends [never] ? true : Unlisted = true
void _everyCommandListed

/** Commands the SLA worker sends. */
export const MEDIATION_WATCH_COMMANDS: ReadonlySet<MediationCommandName> = new Set([
  'record_mediation_deadline_passed',
  'record_fulfilment_overdue',
])

/** Commands a party may issue for themselves: answering a proposal, and declining mediation (it is voluntary). */
export const PARTY_OWN_COMMANDS: ReadonlySet<MediationCommandName> = new Set(['respond_to_agreement', 'record_refusal'])

export function isMediationCommand(command: { type: string }): command is MediationCommand {
  return (MEDIATION_COMMAND_TYPES as readonly string[]).includes(command.type)
}
