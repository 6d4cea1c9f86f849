import type { CaseEvent } from '@pc/contracts'
import { businessMinutesBetween } from '../sla/business-calendar.js'
import { breachToRecord } from '../sla/sla.clocks.js'
import type { CaseCommandOf } from './case.commands.js'
import { isOpen } from './case.state.js'
import type { ActiveCaseState } from './case.state.js'

// SLA breaches, recorded by the SLA worker as `system:sla`: each breach once, with an escalation.

const OVERDUE_EVENT = {
  response: 'ResponseOverdue',
  update: 'UpdateOverdue',
  resolution: 'ResolutionOverdue',
} as const

/** Once per breach: nothing when the case is no longer open, the clock is not past due, or the breach is recorded. */
export function recordOverdue(command: CaseCommandOf<'record_overdue'>, state: ActiveCaseState, at: string): CaseEvent[] {
  if (!isOpen(state)) return []
  const { clock } = command.data
  const breach = breachToRecord(state, clock, at)
  if (breach === null || breach.dueAt === null) return []
  const seenAt = clock === 'resolution' ? (state.sla.resolution.stoppedAt ?? at) : at
  const overdueMinutes = Math.max(0, businessMinutesBetween(breach.dueAt, seenAt, state.sla.terms.calendar))
  return [
    { type: OVERDUE_EVENT[clock], data: { dueAt: breach.dueAt, overdueMinutes, at } },
    {
      type: 'CaseEscalated',
      data: {
        reason: `SLA ${clock} target missed (due ${breach.dueAt})`,
        level: state.escalationLevel + 1,
        source: 'sla',
        clock,
        at,
      },
    },
  ]
}
