import type { CaseEvent, CaseEventOf } from '@pc/contracts'
import { ForbiddenError, RuleViolationError } from '../errors.js'
import { addBusinessMinutes } from '../sla/business-calendar.js'
import type { CaseCommandOf } from './case.commands.js'
import { CaseRule, ms, nextUpdateDue, pausedMinutes, requireStatus } from './case.rules.js'
import { OPEN_STATUSES } from './case.state.js'
import type { ActiveCaseState } from './case.state.js'

// Respond (响应): staff take the case up, keep the resident informed, pause and escalate it.

function acknowledgedEvent(state: ActiveCaseState, note: string | null, at: string): CaseEventOf<'CaseAcknowledged'> {
  return {
    type: 'CaseAcknowledged',
    data: { note, withinSla: ms(at) <= ms(state.sla.response.dueAt), updateDueAt: nextUpdateDue(state.sla, at), at },
  }
}

export function acknowledge(command: CaseCommandOf<'acknowledge'>, state: ActiveCaseState, at: string): CaseEvent[] {
  requireStatus(state, command.type, ['reported'])
  return [acknowledgedEvent(state, command.data.note ?? null, at)]
}

export function assign(command: CaseCommandOf<'assign'>, state: ActiveCaseState, at: string): CaseEvent[] {
  requireStatus(state, command.type, OPEN_STATUSES)
  const team = command.data.team ?? null
  if (state.assigneeId === command.data.assigneeId && state.team === team) {
    throw new RuleViolationError(CaseRule.ALREADY_ASSIGNED, 'the case is already assigned so', 'assigneeId')
  }
  const events: CaseEvent[] = []
  // Assigning is a response: a case assigned straight from `reported` is acknowledged in the same breath.
  if (state.status === 'reported') events.push(acknowledgedEvent(state, null, at))
  events.push({
    type: 'CaseAssigned',
    data: {
      assigneeId: command.data.assigneeId,
      team,
      previousAssigneeId: state.assigneeId,
      // On hold the update clock stays stopped; otherwise a new assignee is news the resident hears about.
      ...(state.status === 'on_hold' ? {} : { updateDueAt: nextUpdateDue(state.sla, at) }),
      at,
    },
  })
  return events
}

export function hold(command: CaseCommandOf<'hold'>, state: ActiveCaseState, at: string): CaseEvent[] {
  requireStatus(state, command.type, ['in_progress'])
  return [{ type: 'CaseOnHold', data: { reason: command.data.reason, at } }]
}

export function resume(state: ActiveCaseState, at: string): CaseEvent[] {
  requireStatus(state, 'resume', ['on_hold'])
  const { sla } = state
  const paused = pausedMinutes(sla.resolution.stoppedAt ?? state.hold.since, at, sla.terms.calendar)
  return [
    {
      type: 'CaseResumed',
      data: {
        pausedMinutes: paused,
        resolutionDueAt: addBusinessMinutes(sla.resolution.dueAt, paused, sla.terms.calendar),
        updateDueAt: nextUpdateDue(sla, at),
        at,
      },
    },
  ]
}

export function note(command: CaseCommandOf<'note'>, state: ActiveCaseState, at: string): CaseEvent[] {
  requireStatus(state, command.type, OPEN_STATUSES)
  // Defence in depth: access already refuses a resident's internal note when it is given the body.
  const staffSide = command.actor.roles.some((role) => role === 'staff' || role === 'manager' || role === 'technician')
  if (command.data.visibility === 'internal' && !staffSide) throw new ForbiddenError('residents add public notes only')
  const restartsUpdateClock = command.data.visibility === 'public' && state.sla.update.dueAt !== null
  return [
    {
      type: 'CaseNoteAdded',
      data: {
        noteId: `note-${state.noteCount + 1}`,
        body: command.data.body,
        visibility: command.data.visibility,
        authorId: command.actor.id,
        ...(restartsUpdateClock ? { updateDueAt: nextUpdateDue(state.sla, at) } : {}),
        at,
      },
    },
  ]
}

export function escalate(command: CaseCommandOf<'escalate'>, state: ActiveCaseState, at: string): CaseEvent[] {
  requireStatus(state, command.type, OPEN_STATUSES)
  return [
    {
      type: 'CaseEscalated',
      data: { reason: command.data.reason, level: state.escalationLevel + 1, source: 'manual', clock: null, at },
    },
  ]
}
