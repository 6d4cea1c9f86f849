import type { CaseEvent, CaseStatus } from '@pc/contracts'
import type { ActiveCaseState, CaseCommand, CaseContext, CaseState, CommandActor } from '../../src/index.js'
import { caseDecider, DEFAULT_SLA_POLICY, SLA_ACTOR } from '../../src/index.js'

/** Test fixtures for the case decider: actors, ids, times, default command bodies and a history builder. */

export const CASE_ID = '0b7a1f5c-2d4e-4c3b-9a8f-1e2d3c4b5a60'
export const OTHER_ID = '1c8b2a6d-3e5f-4d4c-8b9a-2f3e4d5c6b71'
export const PRIMARY_ID = '2d9c3b7e-4f6a-4e5d-9cab-3a4f5e6d7c82'

export const actors = {
  resident: { id: 'resident-1', roles: ['resident'], units: ['3-1-201'] },
  otherResident: { id: 'resident-2', roles: ['resident'], units: ['3-1-202'] },
  staff: { id: 'staff-1', roles: ['staff'] },
  manager: { id: 'manager-1', roles: ['manager'] },
  /** Staff and manager in one: may issue every human command, so table tests see transitions, not access. */
  boss: { id: 'boss-1', roles: ['staff', 'manager'] },
  technician: { id: 'tech-1', roles: ['technician'] },
  otherTechnician: { id: 'tech-2', roles: ['technician'] },
  mediator: { id: 'mediator-1', roles: ['mediator'] },
  committee: { id: 'committee-1', roles: ['committee'] },
  auditor: { id: 'auditor-1', roles: ['auditor'] },
  admin: { id: 'admin-1', roles: ['admin'] },
  sla: SLA_ACTOR,
} satisfies Record<string, CommandActor>

/** Monday 2 March 2026, 09:00 in Beijing: the start of a working day on the default calendar. */
export const T0 = '2026-03-02T01:00:00.000Z'

export const minutesAfter = (iso: string, minutes: number) => new Date(Date.parse(iso) + minutes * 60_000).toISOString()

export const context = (now: string = T0): CaseContext => ({ now, slaPolicy: DEFAULT_SLA_POLICY })

/** A valid body for each command, chosen so that only the transition rule can refuse it in a table test. */
export function commandFor(type: CaseCommand['type'], actor: CommandActor = actors.boss): CaseCommand {
  switch (type) {
    case 'report':
      return {
        type,
        caseId: CASE_ID,
        actor,
        data: {
          kind: 'repair',
          category: 'lift',
          title: 'Lift 2 stops between floors',
          description: 'Since this morning lift 2 stops between the 5th and 6th floor.',
          channel: 'app',
          location: { building: '3', unit: '1' },
          reporterId: actor.roles.includes('resident') ? undefined : actors.resident.id,
        },
      }
    case 'acknowledge':
      return { type, actor, data: {} }
    case 'assign':
      return { type, actor, data: { assigneeId: actors.otherTechnician.id } }
    case 'hold':
      return { type, actor, data: { reason: 'waiting for the spare part' } }
    case 'resume':
      return { type, actor, data: {} }
    case 'note':
      return { type, actor, data: { body: 'Engineer on the way', visibility: 'public' } }
    case 'escalate':
      return { type, actor, data: { reason: 'third report this week' } }
    case 'resolve':
      return { type, actor, data: { resolution: 'Door sensor replaced' } }
    case 'follow_up':
      return { type, actor, data: { rating: 4, method: 'phone' } }
    case 'review':
      return {
        type,
        actor,
        data: { rootCause: 'worn sensor', lessons: 'check sensors monthly', preventiveActions: ['monthly check'], typical: false },
      }
    case 'close':
      return { type, actor, data: {} }
    case 'reopen':
      return { type, actor, data: { reason: 'stopped again' } }
    case 'withdraw':
      return { type, actor, data: { reason: 'fixed by itself' } }
    case 'link':
      return { type, actor, data: { caseId: PRIMARY_ID } }
    case 'unlink':
      return { type, actor, data: { caseId: OTHER_ID } }
    case 'merge':
      return { type, actor, data: { intoCaseId: PRIMARY_ID } }
    case 'unmerge':
      return { type, actor, data: {} }
    case 'record_overdue':
      return { type, actor: actors.sla, data: { clock: 'resolution' } }
  }
}

export const fold = (events: readonly CaseEvent[], from: CaseState = caseDecider.initialState): CaseState =>
  events.reduce(caseDecider.evolve, from)

/** Runs commands one after another, `stepMinutes` apart, and returns every event with the time after the last. */
export function run(
  commands: readonly CaseCommand[],
  { start = T0, stepMinutes = 10, from = [] as CaseEvent[] } = {},
): { events: CaseEvent[]; state: CaseState; now: string } {
  const events = [...from]
  let state = fold(events)
  let now = start
  for (const command of commands) {
    const decided = caseDecider.decide(command, state, context(now))
    events.push(...decided)
    state = fold(decided, state)
    now = minutesAfter(now, stepMinutes)
  }
  return { events, state, now }
}

/** Commands that take a fresh case to each status (the case is linked to OTHER_ID on the way, for unlink). */
export const PATH_TO: Record<CaseStatus, CaseCommand['type'][]> = {
  reported: ['report', 'link'],
  acknowledged: ['report', 'link', 'acknowledge'],
  in_progress: ['report', 'link', 'acknowledge', 'assign'],
  on_hold: ['report', 'link', 'acknowledge', 'assign', 'hold'],
  resolved: ['report', 'link', 'acknowledge', 'assign', 'resolve'],
  followed_up: ['report', 'link', 'acknowledge', 'assign', 'resolve', 'follow_up'],
  closed: ['report', 'link', 'acknowledge', 'assign', 'resolve', 'follow_up', 'close'],
  withdrawn: ['report', 'link', 'withdraw'],
  merged: ['report', 'link', 'acknowledge', 'merge'],
}

/** The events of a case brought to `status` (linked to OTHER_ID), and the time after the last of them. */
export function historyTo(status: CaseStatus, start: string = T0): { events: CaseEvent[]; state: ActiveCaseState; now: string } {
  const commands = PATH_TO[status].map((type): CaseCommand => {
    if (type === 'link') return { type, actor: actors.boss, data: { caseId: OTHER_ID } }
    // Assigned to `actors.technician`, so the table's own assign (to another technician) is a real change.
    if (type === 'assign') return { type, actor: actors.boss, data: { assigneeId: actors.technician.id } }
    return commandFor(type)
  })
  const result = run(commands, { start })
  if (result.state.status !== status) throw new Error(`fixture reached ${result.state.status}, not ${status}`)
  return { ...result, state: result.state }
}

/** Reads an error thrown by `fn` (or fails the test if nothing is thrown). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected an error, none was thrown')
}
