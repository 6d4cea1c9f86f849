import type { DisclosureCommandBody, DisclosureCommandType } from '@pc/contracts'
import type { CommandActor } from '../decider.js'

/**
 * Disclosure (公示) commands: the HTTP body (already validated by its zod schema in `@pc/contracts`) as `data`, who
 * issues it as `actor`. `draft` also names the new disclosure's id, since the stream id must be known before the
 * decider runs.
 *
 * @example
 * const command: DisclosureCommand = { type: 'comment', data: { body: 'Why did cleaning cost more in March?' }, actor }
 */
export type DisclosureCommand = {
  [T in DisclosureCommandType]: T extends 'draft'
    ? { type: T; disclosureId: string; data: DisclosureCommandBody<T>; actor: CommandActor }
    : { type: T; data: DisclosureCommandBody<T>; actor: CommandActor }
}[DisclosureCommandType]

export type DisclosureCommandOf<T extends DisclosureCommandType> = Extract<DisclosureCommand, { type: T }>

/** Every command type, for exhaustive tables. */
export const DISCLOSURE_COMMAND_TYPES = [
  'draft',
  'revise',
  'publish',
  'correct',
  'comment',
  'object',
  'committee_review',
  'retract',
] as const satisfies readonly DisclosureCommandType[]

/** What the disclosure decider needs besides the command and the state. */
export interface DisclosureContext {
  /** ISO time of the command; every event's `at`, and the clock the notice and comment-period rules read. */
  now: string
  /** How many days before `effectiveAt` a major matter must be published (configuration, default 7). */
  advanceNoticeDays: number
  /** A fresh uuid: the id of an objection (and of the complaint case the objection reactor opens). */
  newId: () => string
}

/** DESIGN §4: a major matter is published at least this many days before it takes effect, unless configured. */
export const DEFAULT_ADVANCE_NOTICE_DAYS = 7
