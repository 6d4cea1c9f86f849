import type { SlaClockName } from '@pc/contracts'
import type { ActiveCaseState } from '../cases/case.state.js'
import { businessMinutesBetween } from './business-calendar.js'

/** One SLA clock as seen at a moment. */
export interface SlaClockView {
  clock: SlaClockName
  /** `null` for the update clock when it is not running (before the first response, on hold, once resolved). */
  dueAt: string | null
  /**
   * Whole calendar minutes left, negative when past due; measured at the moment the clock stopped if it has (so a
   * resolved case shows the margin it was resolved with). `null` when `dueAt` is.
   */
  remainingMinutes: number | null
  /** Past due, now or when the clock stopped. */
  overdue: boolean
  /** Response and resolution only: whether the target was met; absent while still open. */
  met?: boolean
  /** Whether the clock is counting right now. */
  running: boolean
  /** Whether the SLA worker has recorded this breach (cleared by a reopen, and for updates by the next update). */
  overdueRecorded: boolean
}

export interface SlaClocks {
  response: SlaClockView
  update: SlaClockView
  resolution: SlaClockView
}

const ms = (iso: string) => Date.parse(iso)

/**
 * The three SLA clocks of a case at `nowIso`, derived from its state (and so from its events only): the same answer
 * for the live read model, the SLA worker and a replay of history.
 *
 * @example
 * const { response } = slaClocks(state, now)
 * if (response.overdue && response.met === undefined && !response.overdueRecorded) { … record_overdue … }
 */
export function slaClocks(state: ActiveCaseState, nowIso: string): SlaClocks {
  const { sla } = state
  const calendar = sla.terms.calendar
  const remaining = (from: string, dueAt: string) => Math.floor(businessMinutesBetween(from, dueAt, calendar))

  const responseAt = sla.response.respondedAt ?? sla.response.stoppedAt ?? nowIso
  const response: SlaClockView = {
    clock: 'response',
    dueAt: sla.response.dueAt,
    remainingMinutes: remaining(responseAt, sla.response.dueAt),
    overdue: ms(responseAt) > ms(sla.response.dueAt),
    running: sla.response.respondedAt === null && sla.response.stoppedAt === null,
    overdueRecorded: sla.response.overdueRecorded,
  }
  if (sla.response.respondedAt !== null) response.met = ms(sla.response.respondedAt) <= ms(sla.response.dueAt)

  const resolutionAt = sla.resolution.stoppedAt ?? nowIso
  const resolution: SlaClockView = {
    clock: 'resolution',
    dueAt: sla.resolution.dueAt,
    remainingMinutes: remaining(resolutionAt, sla.resolution.dueAt),
    overdue: ms(resolutionAt) > ms(sla.resolution.dueAt),
    running: sla.resolution.stoppedAt === null,
    overdueRecorded: sla.resolution.overdueRecorded,
  }
  if (sla.resolution.resolvedAt !== null) {
    resolution.met = ms(sla.resolution.resolvedAt) <= ms(sla.resolution.dueAt)
  }

  const updateDue = sla.update.dueAt
  const update: SlaClockView =
    updateDue === null
      ? { clock: 'update', dueAt: null, remainingMinutes: null, overdue: false, running: false, overdueRecorded: false }
      : {
          clock: 'update',
          dueAt: updateDue,
          remainingMinutes: remaining(nowIso, updateDue),
          overdue: ms(nowIso) > ms(updateDue),
          running: true,
          overdueRecorded: sla.update.overdueRecorded,
        }

  return { response, update, resolution }
}

/**
 * Whether the SLA worker should record a breach of `clock` now: past due, target not yet met, not yet recorded.
 * The decider asks the same question, so a worker acting on a stale view records nothing twice.
 */
export function breachToRecord(state: ActiveCaseState, clock: SlaClockName, nowIso: string): SlaClockView | null {
  const view = slaClocks(state, nowIso)[clock]
  if (view.dueAt === null || !view.overdue || view.met !== undefined || view.overdueRecorded) return null
  return view
}
