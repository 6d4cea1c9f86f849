import t from 'tap'
import type * as Tap from 'tap'
import type { CaseEvent, CaseStatus } from '@pc/contracts'
import {
  addBusinessMinutes,
  businessMinutesBetween,
  CASE_COMMAND_TYPES,
  caseDecider,
  ForbiddenError,
  NotFoundError,
  requiresReview,
  RuleViolationError,
} from '../src/index.js'
import type { ActiveCaseState, CaseCommand, CaseState, MediationState } from '../src/index.js'
import {
  actors,
  CASE_ID,
  commandFor,
  context,
  fold,
  historyTo,
  minutesAfter,
  OTHER_ID,
  PRIMARY_ID,
  run,
  T0,
  thrown,
} from './support/case-fixtures.js'

type Test = Tap.Test

/** given events / when command (at `now`) → the decided events. */
function when(given: readonly CaseEvent[], command: CaseCommand, now: string): CaseEvent[] {
  return caseDecider.decide(command, fold(given), context(now))
}

function ruleOf(t: Test, fn: () => unknown, rule: string): void {
  const error = thrown(fn)
  t.ok(error instanceof RuleViolationError, `throws a RuleViolationError (${String(error)})`)
  t.equal((error as RuleViolationError).rule, rule)
}

const types = (events: readonly CaseEvent[]) => events.map((e) => e.type)
const active = (state: CaseState): ActiveCaseState => {
  if (state.status === 'none') throw new Error('no case')
  return state
}

const reportAs = (actor: CaseCommand['actor'], patch: Record<string, unknown> = {}): CaseCommand => {
  const base = commandFor('report', actor)
  if (base.type !== 'report') throw new Error('unreachable')
  return { ...base, data: { ...base.data, ...patch } } as CaseCommand
}

const reportedBy = (actor: CaseCommand['actor'] = actors.boss, patch: Record<string, unknown> = {}) =>
  when([], reportAs(actor, patch), T0)

// -------------------------------------------------------------------------------------------------------------
// The full table: every status × every command.

const ALL_STATUSES: CaseStatus[] = [
  'reported',
  'acknowledged',
  'in_progress',
  'on_hold',
  'resolved',
  'followed_up',
  'closed',
  'withdrawn',
  'merged',
]
const OPEN = ['reported', 'acknowledged', 'in_progress', 'on_hold'] as const

const ALLOWED: Record<CaseCommand['type'], readonly CaseStatus[]> = {
  report: [],
  acknowledge: ['reported'],
  assign: OPEN,
  hold: ['in_progress'],
  resume: ['on_hold'],
  note: OPEN,
  escalate: OPEN,
  resolve: ['in_progress'],
  follow_up: ['resolved'],
  review: ['resolved', 'followed_up'],
  close: ['followed_up'],
  reopen: ['resolved', 'followed_up', 'closed'],
  withdraw: OPEN,
  link: ALL_STATUSES,
  unlink: ALL_STATUSES,
  merge: OPEN,
  unmerge: ['merged'],
  record_overdue: OPEN,
}

/** The status each allowed command leads to from each status (unchanged where omitted). */
const LEADS_TO: Partial<Record<CaseCommand['type'], Partial<Record<CaseStatus, CaseStatus>>>> = {
  acknowledge: { reported: 'acknowledged' },
  assign: { reported: 'in_progress', acknowledged: 'in_progress', in_progress: 'in_progress', on_hold: 'on_hold' },
  hold: { in_progress: 'on_hold' },
  resume: { on_hold: 'in_progress' },
  resolve: { in_progress: 'resolved' },
  follow_up: { resolved: 'followed_up' },
  close: { followed_up: 'closed' },
  reopen: { resolved: 'in_progress', followed_up: 'in_progress', closed: 'in_progress' },
  withdraw: { reported: 'withdrawn', acknowledged: 'withdrawn', in_progress: 'withdrawn', on_hold: 'withdrawn' },
  merge: { reported: 'merged', acknowledged: 'merged', in_progress: 'merged', on_hold: 'merged' },
  unmerge: { merged: 'acknowledged' },
}

t.test('the table of statuses × commands', async (t) => {
  t.test('no case yet: report is the only command; every other one is 404', async (t) => {
    for (const type of CASE_COMMAND_TYPES) {
      if (type === 'report') {
        t.same(types(when([], commandFor(type), T0)), ['CaseReported'])
        continue
      }
      t.ok(thrown(() => when([], commandFor(type), T0)) instanceof NotFoundError, `${type} on no case → NotFoundError`)
    }
  })

  for (const status of ALL_STATUSES) {
    t.test(`in ${status}`, async (t) => {
      const given = historyTo(status)
      for (const type of CASE_COMMAND_TYPES) {
        const command = commandFor(type)
        const allowed = ALLOWED[type].includes(status)
        if (type === 'record_overdue') {
          // The SLA worker's command is never an error: outside open statuses it records nothing.
          const far = minutesAfter(given.now, 60 * 24 * 60)
          const decided = when(given.events, command, far)
          if (allowed) t.ok(Array.isArray(decided), `record_overdue in ${status} decides`)
          else t.same(decided, [], `record_overdue in ${status} records nothing`)
          continue
        }
        if (!allowed) {
          ruleOf(t, () => when(given.events, command, given.now), 'INVALID_TRANSITION')
          continue
        }
        const decided = when(given.events, command, given.now)
        t.ok(decided.length > 0, `${type} in ${status} decides events`)
        const after = fold(decided, given.state)
        t.equal(after.status, LEADS_TO[type]?.[status] ?? status, `${type}: ${status} → ${after.status}`)
      }
    })
  }
})

// -------------------------------------------------------------------------------------------------------------
// Transitions, one by one: given / when / then.

t.test('report', async (t) => {
  t.test('a resident reports as themselves; the SLA terms and deadlines are written into the event', async (t) => {
    const [event, ...rest] = when([], reportAs(actors.resident), T0)
    t.same(rest, [])
    t.equal(event?.type, 'CaseReported')
    if (event?.type !== 'CaseReported') return
    t.match(event.data, {
      caseId: CASE_ID,
      kind: 'repair',
      priority: 'normal',
      reporterId: actors.resident.id,
      reportedBy: actors.resident.id,
      reporter: null,
      at: T0,
    })
    t.match(event.data.sla.terms, { policyId: 'default-v1', priority: 'normal', responseMinutes: 240, resolutionMinutes: 4320 })
    t.equal(event.data.sla.terms.calendar.kind, 'business')
    // Monday 09:00 Beijing + 4 business hours = 13:00; + 72 business hours (8 nine-hour days) = Wednesday next week 18:00.
    t.equal(event.data.sla.responseDueAt, '2026-03-02T05:00:00.000Z')
    t.equal(event.data.sla.resolutionDueAt, '2026-03-11T10:00:00.000Z')
    t.equal(fold([event]).status, 'reported')
  })

  t.test('staff report on a resident’s behalf; contact details stay in their own object', async (t) => {
    const [event] = reportedBy(actors.staff, { reporter: { name: '王先生', phone: '138 0000 0000' } })
    if (event?.type !== 'CaseReported') return t.fail('not reported')
    t.equal(event.data.reporterId, actors.resident.id)
    t.equal(event.data.reportedBy, actors.staff.id)
    t.same(event.data.reporter, { name: '王先生', phone: '138 0000 0000' })
  })

  t.test('staff report a patrol finding on nobody’s behalf', async (t) => {
    const [event] = reportedBy(actors.staff, { reporterId: undefined, channel: 'patrol', kind: 'warning' })
    if (event?.type !== 'CaseReported') return t.fail('not reported')
    t.equal(event.data.reporterId, null)
  })

  t.test('an urgent case runs round the clock: 15 minutes to respond, 4 hours to resolve', async (t) => {
    const saturdayNight = '2026-03-07T15:00:00.000Z'
    const [event] = when([], reportAs(actors.boss, { priority: 'urgent' }), saturdayNight)
    if (event?.type !== 'CaseReported') return t.fail('not reported')
    t.same(event.data.sla.terms.calendar, { kind: '24x7' })
    t.equal(event.data.sla.responseDueAt, '2026-03-07T15:15:00.000Z')
    t.equal(event.data.sla.resolutionDueAt, '2026-03-07T19:00:00.000Z')
  })

  t.test('a resident cannot report on someone else’s behalf', async (t) => {
    t.ok(thrown(() => when([], reportAs(actors.resident, { reporterId: 'resident-2' }), T0)) instanceof ForbiddenError)
  })

  t.test('a case is reported once', async (t) => {
    ruleOf(t, () => when(reportedBy(), commandFor('report'), T0), 'INVALID_TRANSITION')
  })
})

t.test('acknowledge', async (t) => {
  t.test('in time: the first response is met and the update clock starts', async (t) => {
    const now = minutesAfter(T0, 30)
    const events = when(reportedBy(), commandFor('acknowledge'), now)
    t.same(events, [
      {
        type: 'CaseAcknowledged',
        data: { note: null, withinSla: true, updateDueAt: minutesAfter(now, 480), at: now },
      },
    ])
  })

  t.test('late: recorded as outside the SLA', async (t) => {
    const late = minutesAfter(T0, 5 * 60)
    const [event] = when(reportedBy(), { type: 'acknowledge', actor: actors.staff, data: { note: 'sorry for the wait' } }, late)
    t.match(event, { type: 'CaseAcknowledged', data: { withinSla: false, note: 'sorry for the wait' } })
  })
})

t.test('assign', async (t) => {
  t.test('from reported it acknowledges too', async (t) => {
    const now = minutesAfter(T0, 10)
    const events = when(reportedBy(), { type: 'assign', actor: actors.staff, data: { assigneeId: 'tech-1', team: 'lifts' } }, now)
    t.same(types(events), ['CaseAcknowledged', 'CaseAssigned'])
    t.match(events[1], { data: { assigneeId: 'tech-1', team: 'lifts', previousAssigneeId: null, updateDueAt: minutesAfter(now, 480) } })
    const state = active(fold(events, fold(reportedBy())))
    t.equal(state.status, 'in_progress')
    t.equal(state.sla.response.respondedAt, now)
    t.equal(state.assigneeId, 'tech-1')
  })

  t.test('from acknowledged it starts the work', async (t) => {
    const given = historyTo('acknowledged')
    const events = when(given.events, commandFor('assign'), given.now)
    t.same(types(events), ['CaseAssigned'])
    t.equal(fold(events, given.state).status, 'in_progress')
  })

  t.test('reassigning in progress names the previous assignee', async (t) => {
    const given = historyTo('in_progress')
    const events = when(given.events, { type: 'assign', actor: actors.staff, data: { assigneeId: 'tech-9' } }, given.now)
    t.match(events[0], { type: 'CaseAssigned', data: { assigneeId: 'tech-9', previousAssigneeId: actors.technician.id } })
  })

  t.test('reassigning on hold keeps the case on hold and the update clock stopped', async (t) => {
    const given = historyTo('on_hold')
    const events = when(given.events, { type: 'assign', actor: actors.staff, data: { assigneeId: 'tech-9' } }, given.now)
    t.notOk('updateDueAt' in (events[0]?.data ?? {}), 'no update deadline while on hold')
    const state = active(fold(events, given.state))
    t.equal(state.status, 'on_hold')
    t.equal(state.sla.update.dueAt, null)
  })

  t.test('rule ALREADY_ASSIGNED: the same person and team again', async (t) => {
    const given = historyTo('in_progress')
    const again: CaseCommand = { type: 'assign', actor: actors.staff, data: { assigneeId: actors.technician.id } }
    ruleOf(t, () => when(given.events, again, given.now), 'ALREADY_ASSIGNED')
  })
})

t.test('hold and resume: time on hold does not count', async (t) => {
  t.test('hold stops the resolution and update clocks', async (t) => {
    const given = historyTo('in_progress')
    const events = when(given.events, commandFor('hold'), given.now)
    t.same(events, [{ type: 'CaseOnHold', data: { reason: 'waiting for the spare part', at: given.now } }])
    const state = active(fold(events, given.state))
    t.equal(state.status, 'on_hold')
    t.equal(state.sla.resolution.stoppedAt, given.now)
    t.equal(state.sla.update.dueAt, null)
  })

  t.test('resume moves the resolution deadline by the business time on hold, and only by that', async (t) => {
    // In progress on Monday morning; held Friday 17:00, resumed Monday 10:00 (Beijing): 2 business hours on hold.
    const given = historyTo('in_progress')
    const friday17 = '2026-03-06T09:00:00.000Z'
    const monday10 = '2026-03-09T02:00:00.000Z'
    const held = [...given.events, ...when(given.events, commandFor('hold'), friday17)]
    const events = when(held, commandFor('resume'), monday10)
    const before = given.state.sla.resolution.dueAt
    t.same(events, [
      {
        type: 'CaseResumed',
        data: {
          pausedMinutes: 120,
          resolutionDueAt: addBusinessMinutes(before, 120, given.state.sla.terms.calendar),
          updateDueAt: addBusinessMinutes(monday10, 480, given.state.sla.terms.calendar),
          at: monday10,
        },
      },
    ])
    const state = active(fold(events, fold(held)))
    t.equal(state.status, 'in_progress')
    t.equal(state.sla.resolution.stoppedAt, null)
    t.not(state.sla.resolution.dueAt, before)
  })

  t.test('a hold over a weekend only costs nothing', async (t) => {
    const given = historyTo('in_progress')
    const friday18 = '2026-03-06T10:00:00.000Z'
    const monday09 = '2026-03-09T01:00:00.000Z'
    const held = [...given.events, ...when(given.events, commandFor('hold'), friday18)]
    const [resumed] = when(held, commandFor('resume'), monday09)
    t.match(resumed, { data: { pausedMinutes: 0, resolutionDueAt: given.state.sla.resolution.dueAt } })
  })
})

t.test('note', async (t) => {
  t.test('a public note restarts the update clock and is numbered', async (t) => {
    const given = historyTo('in_progress')
    const events = when(given.events, commandFor('note'), given.now)
    t.same(events, [
      {
        type: 'CaseNoteAdded',
        data: {
          noteId: 'note-1',
          body: 'Engineer on the way',
          visibility: 'public',
          authorId: actors.boss.id,
          updateDueAt: minutesAfter(given.now, 480),
          at: given.now,
        },
      },
    ])
    const second = when([...given.events, ...events], commandFor('note'), given.now)
    t.match(second[0], { data: { noteId: 'note-2' } })
  })

  t.test('an internal note is not an update', async (t) => {
    const given = historyTo('in_progress')
    const [event] = when(given.events, { type: 'note', actor: actors.staff, data: { body: 'tenant is difficult', visibility: 'internal' } }, given.now)
    t.notOk('updateDueAt' in (event?.data ?? {}))
    t.equal(active(fold([event!], given.state)).sla.update.dueAt, given.state.sla.update.dueAt)
  })

  t.test('before the first response a note leaves the response clock running', async (t) => {
    const given = historyTo('reported')
    const [event] = when(given.events, commandFor('note'), given.now)
    t.notOk('updateDueAt' in (event?.data ?? {}))
    t.equal(active(fold([event!], given.state)).sla.response.respondedAt, null)
  })

  t.test('residents add public notes to their own case, never internal ones', async (t) => {
    const given = historyTo('in_progress')
    const own = when(given.events, { type: 'note', actor: actors.resident, data: { body: 'still broken', visibility: 'public' } }, given.now)
    t.match(own[0], { type: 'CaseNoteAdded', data: { authorId: actors.resident.id } })
    const internal = () =>
      when(given.events, { type: 'note', actor: actors.resident, data: { body: 'psst', visibility: 'internal' } }, given.now)
    t.ok(thrown(internal) instanceof ForbiddenError)
  })
})

t.test('escalate raises the level each time', async (t) => {
  const given = historyTo('in_progress')
  const first = when(given.events, commandFor('escalate'), given.now)
  t.same(first, [
    { type: 'CaseEscalated', data: { reason: 'third report this week', level: 1, source: 'manual', clock: null, at: given.now } },
  ])
  const second = when([...given.events, ...first], commandFor('escalate'), given.now)
  t.match(second[0], { data: { level: 2 } })
  t.equal(active(fold([...first, ...second], given.state)).escalationLevel, 2)
})

t.test('resolve', async (t) => {
  t.test('in progress → resolved; the resolution clock stops', async (t) => {
    const given = historyTo('in_progress')
    const events = when(given.events, commandFor('resolve'), given.now)
    t.same(events, [{ type: 'CaseResolved', data: { resolution: 'Door sensor replaced', withinSla: true, at: given.now } }])
    const state = active(fold(events, given.state))
    t.equal(state.sla.resolution.resolvedAt, given.now)
    t.equal(state.sla.update.dueAt, null)
    t.equal(state.resolution, 'Door sensor replaced')
  })

  t.test('late resolution is recorded as outside the SLA', async (t) => {
    const given = historyTo('in_progress')
    const late = minutesAfter(given.state.sla.resolution.dueAt, 1)
    t.match(when(given.events, commandFor('resolve'), late)[0], { data: { withinSla: false } })
  })

  t.test('rule MEDIATION_NOT_CONCLUDED: a dispute with an open mediation', async (t) => {
    const given = run(
      [reportAs(actors.boss, { kind: 'dispute' }), commandFor('assign')],
      { start: T0 },
    )
    const state = active(given.state)
    // The case decider reads the slot's status only; the mediation decider's own tests build whole mediations.
    const withMediation = (status: 'open' | 'concluded'): CaseState => ({ ...state, mediation: { status } as MediationState })
    const resolve = (s: CaseState) => caseDecider.decide(commandFor('resolve'), s, context(given.now))
    const error = thrown(() => resolve(withMediation('open')))
    t.equal((error as RuleViolationError).rule, 'MEDIATION_NOT_CONCLUDED')
    t.same(types(resolve(withMediation('concluded'))), ['CaseResolved'])
    t.same(types(resolve(state)), ['CaseResolved'], 'a dispute never mediated may be resolved')
  })
})

t.test('follow-up (回访)', async (t) => {
  t.test('a rating of 3–5 closes the loop with the resident', async (t) => {
    const given = historyTo('resolved')
    for (const rating of [3, 4, 5]) {
      const events = when(given.events, { type: 'follow_up', actor: actors.staff, data: { rating, method: 'visit', comment: 'ok' } }, given.now)
      t.same(events, [{ type: 'CaseFollowedUp', data: { rating, comment: 'ok', method: 'visit', reopens: false, at: given.now } }])
      const state = active(fold(events, given.state))
      t.equal(state.status, 'followed_up')
      t.match(state.followUp, { rating })
    }
  })

  t.test('a rating of 1–2 reopens the case with the feedback', async (t) => {
    const given = historyTo('resolved')
    for (const rating of [1, 2]) {
      const later = minutesAfter(given.now, 60)
      const events = when(given.events, { type: 'follow_up', actor: actors.resident, data: { rating, method: 'app', comment: 'still stops' } }, later)
      t.same(types(events), ['CaseFollowedUp', 'CaseReopened'])
      t.match(events[0], { data: { rating, reopens: true } })
      t.match(events[1], { data: { feedback: { rating, comment: 'still stops' }, previousStatus: 'resolved', reopenCount: 1 } })
      const state = active(fold(events, given.state))
      t.equal(state.status, 'in_progress')
      t.equal(state.reopenCount, 1)
      t.ok(requiresReview(state), 'a reopened case needs a review')
    }
  })
})

t.test('review (复盘)', async (t) => {
  for (const status of ['resolved', 'followed_up'] as const) {
    const given = historyTo(status)
    const events = when(given.events, { ...commandFor('review'), actor: actors.manager }, given.now)
    t.same(events, [
      {
        type: 'CaseReviewed',
        data: { rootCause: 'worn sensor', lessons: 'check sensors monthly', preventiveActions: ['monthly check'], typical: false, at: given.now },
      },
    ])
    const state = active(fold(events, given.state))
    t.equal(state.reviewed, true, `reviewed in ${status}`)
    t.equal(state.status, status, 'a review does not change the status')
  }
})

t.test('close', async (t) => {
  t.test('an ordinary case closes after its follow-up without a review', async (t) => {
    const given = historyTo('followed_up')
    t.same(when(given.events, commandFor('close'), given.now), [
      { type: 'CaseClosed', data: { reviewRequired: false, at: given.now } },
    ])
  })

  /** Runs a case to followed_up with `extra` commands slipped in while it is in progress. */
  const followedUp = (reportPatch: Record<string, unknown>, extra: CaseCommand[] = []) =>
    run([
      reportAs(actors.boss, reportPatch),
      commandFor('assign'),
      ...extra,
      commandFor('resolve'),
      commandFor('follow_up'),
    ])

  const needsReview: [string, ReturnType<typeof followedUp>][] = [
    ['escalated', followedUp({}, [commandFor('escalate')])],
    ['reopened', run([commandFor('reopen'), commandFor('resolve'), commandFor('follow_up')], { from: historyTo('resolved').events, start: historyTo('resolved').now })],
    ['a dispute', followedUp({ kind: 'dispute' })],
    ['a warning', followedUp({ kind: 'warning' })],
    ['urgent', followedUp({ priority: 'urgent' })],
  ]
  for (const [why, given] of needsReview) {
    t.test(`rule REVIEW_REQUIRED: ${why}`, async (t) => {
      t.equal(given.state.status, 'followed_up')
      ruleOf(t, () => when(given.events, commandFor('close'), given.now), 'REVIEW_REQUIRED')
      const reviewed = [...given.events, ...when(given.events, commandFor('review'), given.now)]
      t.same(when(reviewed, commandFor('close'), given.now), [
        { type: 'CaseClosed', data: { reviewRequired: true, at: given.now } },
      ])
    })
  }

  t.test('a review before a reopen does not count for the next close', async (t) => {
    const resolved = historyTo('resolved')
    const given = run(
      [{ ...commandFor('review') }, commandFor('reopen'), commandFor('resolve'), commandFor('follow_up')],
      { from: resolved.events, start: resolved.now },
    )
    ruleOf(t, () => when(given.events, commandFor('close'), given.now), 'REVIEW_REQUIRED')
  })
})

t.test('reopen', async (t) => {
  for (const status of ['resolved', 'followed_up', 'closed'] as const) {
    t.test(`from ${status}: the resolution clock continues where it stood`, async (t) => {
      const given = historyTo(status)
      const stoppedAt = given.state.sla.resolution.stoppedAt!
      const twoDaysLater = minutesAfter(given.now, 2 * 24 * 60)
      const events = when(given.events, commandFor('reopen'), twoDaysLater)
      t.same(types(events), ['CaseReopened'])
      const calendar = given.state.sla.terms.calendar
      if (events[0]?.type !== 'CaseReopened') return
      const { data } = events[0]
      t.match(data, { reason: 'stopped again', feedback: null, previousStatus: status, reopenCount: 1 })
      t.ok(data.pausedMinutes > 0, 'time while resolved did not count')
      t.equal(data.resolutionDueAt, addBusinessMinutes(given.state.sla.resolution.dueAt, data.pausedMinutes, calendar))
      // The time left is what was left at resolution.
      t.equal(
        businessMinutesBetween(twoDaysLater, data.resolutionDueAt, calendar),
        businessMinutesBetween(stoppedAt, given.state.sla.resolution.dueAt, calendar),
      )
      const state = active(fold(events, given.state))
      t.equal(state.status, 'in_progress')
      t.equal(state.reviewed, false)
      t.equal(state.sla.resolution.resolvedAt, null)
    })
  }

  t.test('overdue flags clear on reopen', async (t) => {
    const given = historyTo('in_progress')
    const late = minutesAfter(given.state.sla.resolution.dueAt, 60)
    const overdue = when(given.events, { type: 'record_overdue', actor: actors.sla, data: { clock: 'resolution' } }, late)
    t.same(types(overdue), ['ResolutionOverdue', 'CaseEscalated'])
    const resolved = run([commandFor('resolve')], { from: [...given.events, ...overdue], start: late })
    t.equal(active(resolved.state).sla.resolution.overdueRecorded, true)
    const reopened = fold(when(resolved.events, commandFor('reopen'), resolved.now), resolved.state)
    t.equal(active(reopened).sla.resolution.overdueRecorded, false)
    t.equal(active(reopened).sla.update.overdueRecorded, false)
  })
})

t.test('withdraw', async (t) => {
  for (const status of OPEN) {
    const given = historyTo(status)
    const events = when(given.events, { type: 'withdraw', actor: actors.resident, data: { reason: 'solved it myself' } }, given.now)
    t.same(events, [{ type: 'CaseWithdrawn', data: { reason: 'solved it myself', previousStatus: status, at: given.now } }])
    const state = active(fold(events, given.state))
    t.equal(state.status, 'withdrawn')
    t.not(state.sla.resolution.stoppedAt, null, 'the resolution clock stops')
  }
  t.test('only by the reporter or staff', async (t) => {
    const given = historyTo('in_progress')
    const by = (actor: CaseCommand['actor']) => () => when(given.events, commandFor('withdraw', actor), given.now)
    t.ok(thrown(by(actors.otherResident)) instanceof NotFoundError, 'another resident: 404')
    t.ok(thrown(by(actors.technician)) instanceof ForbiddenError, 'a technician: 403')
    t.same(types(by(actors.staff)()), ['CaseWithdrawn'])
  })
})

t.test('link and unlink', async (t) => {
  t.test('link in any status, even closed', async (t) => {
    const given = historyTo('closed')
    const events = when(given.events, commandFor('link'), given.now)
    t.same(events, [{ type: 'CaseLinked', data: { linkedCaseId: PRIMARY_ID, at: given.now } }])
    t.same(active(fold(events, given.state)).links, [OTHER_ID, PRIMARY_ID])
  })
  t.test('rule SELF_LINK', async (t) => {
    const given = historyTo('reported')
    ruleOf(t, () => when(given.events, { type: 'link', actor: actors.staff, data: { caseId: CASE_ID } }, given.now), 'SELF_LINK')
  })
  t.test('rule ALREADY_LINKED', async (t) => {
    const given = historyTo('reported')
    ruleOf(t, () => when(given.events, { type: 'link', actor: actors.staff, data: { caseId: OTHER_ID } }, given.now), 'ALREADY_LINKED')
  })
  t.test('unlink removes the link', async (t) => {
    const given = historyTo('in_progress')
    const events = when(given.events, commandFor('unlink'), given.now)
    t.same(events, [{ type: 'CaseUnlinked', data: { linkedCaseId: OTHER_ID, at: given.now } }])
    t.same(active(fold(events, given.state)).links, [])
  })
  t.test('rule NOT_LINKED', async (t) => {
    const given = historyTo('in_progress')
    ruleOf(t, () => when(given.events, { type: 'unlink', actor: actors.staff, data: { caseId: PRIMARY_ID } }, given.now), 'NOT_LINKED')
  })
})

t.test('merge and unmerge', async (t) => {
  t.test('merge keeps the previous status; unmerge restores it and moves deadlines by the time merged', async (t) => {
    const given = historyTo('reported')
    const merged = when(given.events, commandFor('merge'), given.now)
    t.same(merged, [{ type: 'CaseMerged', data: { intoCaseId: PRIMARY_ID, previousStatus: 'reported', at: given.now } }])
    const mergedState = active(fold(merged, given.state))
    t.equal(mergedState.status, 'merged')
    t.equal(mergedState.sla.response.stoppedAt, given.now, 'the response clock stops')

    const threeHoursLater = minutesAfter(given.now, 180)
    const events = when([...given.events, ...merged], commandFor('unmerge'), threeHoursLater)
    const calendar = given.state.sla.terms.calendar
    t.same(events, [
      {
        type: 'CaseUnmerged',
        data: {
          fromCaseId: PRIMARY_ID,
          restoredStatus: 'reported',
          pausedMinutes: 180,
          responseDueAt: addBusinessMinutes(given.state.sla.response.dueAt, 180, calendar),
          resolutionDueAt: addBusinessMinutes(given.state.sla.resolution.dueAt, 180, calendar),
          updateDueAt: null,
          at: threeHoursLater,
        },
      },
    ])
    const state = active(fold(events, mergedState))
    t.equal(state.status, 'reported')
    t.equal(state.sla.response.stoppedAt, null)
  })

  t.test('a case merged while on hold comes back on hold, its clock still stopped', async (t) => {
    const given = historyTo('on_hold')
    const merged = [...given.events, ...when(given.events, commandFor('merge'), given.now)]
    const later = minutesAfter(given.now, 120)
    const [event] = when(merged, commandFor('unmerge'), later)
    t.match(event, { data: { restoredStatus: 'on_hold', pausedMinutes: 0, resolutionDueAt: given.state.sla.resolution.dueAt, updateDueAt: null } })
    const state = fold([event!], fold(merged))
    if (state.status !== 'on_hold') return t.fail(`status ${state.status}`)
    t.same(state.hold, given.state.status === 'on_hold' ? given.state.hold : null, 'the hold reason is restored')
    t.equal(state.sla.resolution.stoppedAt, given.state.sla.resolution.stoppedAt)
  })

  t.test('rule SELF_MERGE', async (t) => {
    const given = historyTo('in_progress')
    ruleOf(t, () => when(given.events, { type: 'merge', actor: actors.staff, data: { intoCaseId: CASE_ID } }, given.now), 'SELF_MERGE')
  })
})

t.test('record_overdue (the SLA worker, actor system:sla)', async (t) => {
  const overdue = (clock: 'response' | 'update' | 'resolution'): CaseCommand => ({
    type: 'record_overdue',
    actor: actors.sla,
    data: { clock },
  })

  t.test('response: recorded once per breach, with an escalation', async (t) => {
    const given = historyTo('reported')
    const due = given.state.sla.response.dueAt
    const late = minutesAfter(due, 30)
    const events = when(given.events, overdue('response'), late)
    t.same(events, [
      { type: 'ResponseOverdue', data: { dueAt: due, overdueMinutes: 30, at: late } },
      { type: 'CaseEscalated', data: { reason: `SLA response target missed (due ${due})`, level: 1, source: 'sla', clock: 'response', at: late } },
    ])
    const after = [...given.events, ...events]
    t.same(when(after, overdue('response'), minutesAfter(late, 60)), [], 'the same breach is not recorded twice')
    t.ok(requiresReview(active(fold(after))), 'an SLA escalation makes a review necessary')
  })

  t.test('nothing to record before the deadline, or once the clock is met', async (t) => {
    const given = historyTo('reported')
    t.same(when(given.events, overdue('response'), given.now), [])
    const acknowledged = historyTo('acknowledged')
    t.same(when(acknowledged.events, overdue('response'), minutesAfter(T0, 24 * 60 * 30)), [])
    t.same(when(given.events, overdue('update'), minutesAfter(T0, 24 * 60 * 30)), [], 'no update clock before a response')
  })

  t.test('update: a new breach after each update', async (t) => {
    const given = historyTo('in_progress')
    const due = given.state.sla.update.dueAt!
    const late = minutesAfter(due, 1)
    const first = when(given.events, overdue('update'), late)
    t.same(types(first), ['UpdateOverdue', 'CaseEscalated'])
    const noted = run([commandFor('note')], { from: [...given.events, ...first], start: late })
    t.equal(active(noted.state).sla.update.overdueRecorded, false, 'an update clears the flag')
    const nextDue = active(noted.state).sla.update.dueAt!
    const second = when(noted.events, overdue('update'), minutesAfter(nextDue, 1))
    t.match(second, [{ type: 'UpdateOverdue', data: { dueAt: nextDue } }, { type: 'CaseEscalated', data: { level: 2 } }])
  })

  t.test('resolution: a breach before a hold is still recorded while on hold', async (t) => {
    const given = historyTo('in_progress')
    const due = given.state.sla.resolution.dueAt
    // Due Wednesday 18:00 Beijing; held Thursday 09:10, ten business minutes late.
    t.equal(due, '2026-03-11T10:00:00.000Z')
    const held = run([commandFor('hold')], { from: given.events, start: '2026-03-12T01:10:00.000Z' })
    const events = when(held.events, overdue('resolution'), minutesAfter(due, 600))
    t.match(events, [{ type: 'ResolutionOverdue', data: { dueAt: due, overdueMinutes: 10 } }, { type: 'CaseEscalated' }])
  })

  t.test('nothing for a case that is no longer open', async (t) => {
    const given = historyTo('withdrawn')
    t.same(when(given.events, overdue('response'), minutesAfter(T0, 24 * 60 * 30)), [])
  })

  t.test('only the SLA worker may record a breach', async (t) => {
    const given = historyTo('reported')
    const asStaff = () => when(given.events, { ...overdue('response'), actor: actors.boss }, minutesAfter(T0, 24 * 60))
    t.ok(thrown(asStaff) instanceof ForbiddenError)
  })
})

t.test('evolve leaves events of no known type unchanged (mediation events go to the mediation slot)', async (t) => {
  const given = historyTo('in_progress')
  const foreign = { type: 'SomethingNotYetKnown', data: { mediatorId: 'mediator-1' } } as unknown as CaseEvent
  t.equal(caseDecider.evolve(given.state, foreign), given.state)
})

t.test('evolve keeps the mediation slot through every case event', async (t) => {
  const given = historyTo('in_progress')
  const withSlot: CaseState = { ...given.state, mediation: { status: 'concluded' } as MediationState }
  const after = fold(when(given.events, commandFor('resolve'), given.now), withSlot)
  t.same(active(after).mediation, { status: 'concluded' })
})
