import type { CaseCommandData, CaseCommandType, SlaClockName, SlaPolicy } from '@pc/contracts'
import type { CommandActor } from '../decider.js'

/**
 * Case commands: the HTTP body (already validated by its zod schema in `@pc/contracts`) as `data`, who issues it
 * as `actor`. Types are snake_case and match the route (`follow_up` for `/follow-up`, `report` for
 * `POST /v1/cases`). `report` also names the new case's id: the stream id must be known before the decider runs.
 *
 * @example
 * const command: CaseCommand = { type: 'note', data: { body: 'Parts ordered', visibility: 'public' }, actor }
 */
export type HttpCaseCommand = {
  [T in CaseCommandType]: T extends 'report'
    ? { type: T; caseId: string; data: CaseCommandData<T>; actor: CommandActor }
    : { type: T; data: CaseCommandData<T>; actor: CommandActor }
}[CaseCommandType]

/**
 * Sent by the SLA worker (actor `system:sla`) when it sees a clock past its deadline: records the breach once and
 * escalates. Answers nothing (no events) when the breach is already recorded or no longer stands.
 */
export interface RecordOverdueCommand {
  type: 'record_overdue'
  data: { clock: SlaClockName }
  actor: CommandActor
}

export type CaseCommand = HttpCaseCommand | RecordOverdueCommand
export type CaseCommandName = CaseCommand['type']
export type CaseCommandOf<T extends CaseCommandName> = Extract<CaseCommand, { type: T }>

/** Every command type, for exhaustive tables. */
export const CASE_COMMAND_TYPES = [
  'report',
  'acknowledge',
  'assign',
  'hold',
  'resume',
  'note',
  'escalate',
  'resolve',
  'follow_up',
  'review',
  'close',
  'reopen',
  'withdraw',
  'link',
  'unlink',
  'merge',
  'unmerge',
  'record_overdue',
] as const satisfies readonly CaseCommandName[]

// Compile-time check that the list above names every command: adding a command without listing it fails here.
type Unlisted = Exclude<CaseCommandName, (typeof CASE_COMMAND_TYPES)[number]>
const _everyCommandListed: [Unlisted] extends [never] ? true : Unlisted = true
void _everyCommandListed

/** The actor the SLA worker's commands and events carry. */
export const SLA_ACTOR: CommandActor = Object.freeze({ id: 'system:sla', roles: Object.freeze(['system']) })

/**
 * What the case decider needs besides the command and the state: the time, new ids (for sub-deciders; the case
 * decider numbers its notes itself), and the SLA policy in force (read only when a case is reported).
 */
export interface CaseContext {
  /** ISO time of the command; every event's `at`. */
  now: string
  newId?: () => string
  slaPolicy: SlaPolicy
}
