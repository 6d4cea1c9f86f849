import { subjectEventReader, SubjectEventTypes, type SubjectEvent } from '@pc/contracts'
import type { CommandActor, Decider } from '../decider.js'
import { eventCodec } from '../event-codec.js'
import { ForbiddenError } from '../errors.js'

/**
 * A data subject's record of forgets (DESIGN §7, 被遗忘权). The keys are destroyed at the edge before this is
 * decided (`keysDestroyed`); the decider records it once: a forget that found nothing left to destroy, on a
 * subject already forgotten, decides nothing, so sending it twice appends one event.
 */

export interface SubjectState {
  /** Forgets recorded so far. */
  forgotten: number
  lastForgottenAt: string | null
}

export interface ForgetSubjectCommand {
  type: 'forget'
  subjectId: string
  data: { reason: string }
  /** How many live key generations the edge destroyed for this command. */
  keysDestroyed: number
  actor: CommandActor
}
export type SubjectCommand = ForgetSubjectCommand

export interface SubjectContext {
  now: string
}

export const SUBJECT_STREAM_PREFIX = 'subject-'

export function subjectStreamId(subjectId: string): string {
  return `${SUBJECT_STREAM_PREFIX}${subjectId}`
}

export const initialSubjectState: SubjectState = Object.freeze({ forgotten: 0, lastForgottenAt: null })

export const subjectDecider: Decider<SubjectCommand, SubjectEvent, SubjectState, SubjectContext> = {
  initialState: initialSubjectState,
  decide(command, state, context) {
    if (!command.actor.roles.includes('admin')) throw new ForbiddenError('forgetting a data subject needs the admin role')
    if (command.keysDestroyed === 0 && state.forgotten > 0) return []
    return [
      {
        type: 'SubjectForgotten',
        data: { subjectId: command.subjectId, reason: command.data.reason, keysDestroyed: command.keysDestroyed, at: context.now },
      },
    ]
  },
  evolve(state, event) {
    switch (event.type) {
      case 'SubjectForgotten':
        return { forgotten: state.forgotten + 1, lastForgottenAt: event.data.at }
    }
  },
}

/** Subject events to and from what the event store keeps (validated on the way in, upcast on the way out). */
export const subjectEventCodec = eventCodec<SubjectEvent>(SubjectEventTypes, subjectEventReader)
