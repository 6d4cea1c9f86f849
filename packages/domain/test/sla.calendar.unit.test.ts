import t from 'tap'
import fc from 'fast-check'
import { BusinessCalendar, SlaPolicy } from '@pc/contracts'
import type { SlaCalendar } from '@pc/contracts'
import {
  addBusinessMinutes,
  businessMinutesBetween,
  DEFAULT_BUSINESS_CALENDAR,
  DEFAULT_SLA_POLICY,
  isBusinessTime,
  slaClocks,
  slaTermsFor,
} from '../src/index.js'
import type { ActiveCaseState, CaseCommand } from '../src/index.js'
import { commandFor, minutesAfter, run, T0 } from './support/case-fixtures.js'

const cal = DEFAULT_BUSINESS_CALENDAR
/** Beijing wall-clock time → UTC ISO (UTC+8, no daylight saving). */
const bj = (local: string) => new Date(`${local}:00+08:00`).toISOString()

// Week of 2 March 2026: Monday 2nd … Friday 6th, Saturday 7th, Sunday 8th, Monday 9th.

t.test('addBusinessMinutes on the default calendar (Mon–Fri 09:00–18:00, UTC+8)', async (t) => {
  t.equal(addBusinessMinutes(bj('2026-03-02T10:00'), 90, cal), bj('2026-03-02T11:30'), 'within a day')
  t.equal(addBusinessMinutes(bj('2026-03-06T17:00'), 120, cal), bj('2026-03-09T10:00'), 'over the weekend')
  t.equal(addBusinessMinutes(bj('2026-03-02T07:00'), 60, cal), bj('2026-03-02T10:00'), 'before opening: counts from 09:00')
  t.equal(addBusinessMinutes(bj('2026-03-02T19:00'), 60, cal), bj('2026-03-03T10:00'), 'after closing: counts from the next morning')
  t.equal(addBusinessMinutes(bj('2026-03-07T12:00'), 30, cal), bj('2026-03-09T09:30'), 'on a Saturday: counts from Monday')
  t.equal(addBusinessMinutes(bj('2026-03-02T09:00'), 540, cal), bj('2026-03-02T18:00'), 'a full day ends at closing time')
  t.equal(addBusinessMinutes(bj('2026-03-02T09:00'), 541, cal), bj('2026-03-03T09:01'), 'one minute more is next morning')
  t.equal(addBusinessMinutes(bj('2026-03-07T12:00'), 0, cal), bj('2026-03-07T12:00'), 'zero minutes: the same instant')
  t.equal(addBusinessMinutes(bj('2026-03-02T09:00'), 72 * 60, cal), bj('2026-03-11T18:00'), '72 business hours = 8 working days')
  t.equal(addBusinessMinutes('2026-03-02T10:00:00+08:00', 1.5, cal), '2026-03-02T02:01:30.000Z', 'fractions of minutes are kept')
})

t.test('holidays and make-up working days (调休)', async (t) => {
  const withHoliday: SlaCalendar = { ...cal, holidays: ['2026-03-09'], workdays: [] }
  t.equal(addBusinessMinutes(bj('2026-03-06T17:00'), 120, withHoliday), bj('2026-03-10T10:00'), 'Monday off: Tuesday')
  const withMakeUp: SlaCalendar = { ...cal, holidays: [], workdays: ['2026-03-07'] }
  t.equal(addBusinessMinutes(bj('2026-03-06T17:00'), 120, withMakeUp), bj('2026-03-07T10:00'), 'Saturday worked')
  const both: SlaCalendar = { ...cal, holidays: ['2026-03-07'], workdays: ['2026-03-07'] }
  t.equal(addBusinessMinutes(bj('2026-03-06T17:00'), 120, both), bj('2026-03-09T10:00'), 'listed as both: a day off')
  // Spring Festival as a whole week off, with a make-up Saturday before it.
  const springFestival: SlaCalendar = {
    ...cal,
    holidays: ['2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20'],
    workdays: ['2026-02-14'],
  }
  t.equal(addBusinessMinutes(bj('2026-02-13T17:00'), 120, springFestival), bj('2026-02-14T10:00'))
  t.equal(addBusinessMinutes(bj('2026-02-14T17:00'), 120, springFestival), bj('2026-02-23T10:00'))
  t.equal(businessMinutesBetween(bj('2026-02-15T00:00'), bj('2026-02-22T23:59'), springFestival), 0, 'the holiday week counts nothing')
})

t.test('another offset and other hours', async (t) => {
  const london: SlaCalendar = { ...cal, utcOffsetMinutes: 0, hours: { start: '08:30', end: '12:00' } }
  t.equal(addBusinessMinutes('2026-03-02T11:00:00Z', 90, london), '2026-03-03T09:00:00.000Z')
  t.ok(isBusinessTime('2026-03-02T08:30:00Z', london))
  t.notOk(isBusinessTime('2026-03-02T12:00:00Z', london), 'closing time is outside')
})

t.test('round the clock', async (t) => {
  const always: SlaCalendar = { kind: '24x7' }
  t.equal(addBusinessMinutes(bj('2026-03-07T23:50'), 15, always), bj('2026-03-08T00:05'))
  t.equal(businessMinutesBetween(bj('2026-03-07T00:00'), bj('2026-03-08T00:00'), always), 24 * 60)
  t.ok(isBusinessTime(bj('2026-03-08T03:00'), always))
})

t.test('businessMinutesBetween', async (t) => {
  t.equal(businessMinutesBetween(bj('2026-03-02T10:00'), bj('2026-03-02T11:30'), cal), 90)
  t.equal(businessMinutesBetween(bj('2026-03-06T17:00'), bj('2026-03-09T10:00'), cal), 120, 'weekend skipped')
  t.equal(businessMinutesBetween(bj('2026-03-09T10:00'), bj('2026-03-06T17:00'), cal), -120, 'negative backwards')
  t.equal(businessMinutesBetween(bj('2026-03-07T09:00'), bj('2026-03-08T18:00'), cal), 0, 'a weekend is worth nothing')
  t.equal(businessMinutesBetween(bj('2026-03-02T19:00'), bj('2026-03-03T08:00'), cal), 0, 'a night is worth nothing')
  t.equal(businessMinutesBetween(bj('2026-03-02T00:00'), bj('2026-03-09T00:00'), cal), 5 * 540, 'a week')
})

t.test('bad input fails loudly instead of looping', async (t) => {
  t.throws(() => addBusinessMinutes(T0, -1, cal), RangeError)
  t.throws(() => addBusinessMinutes('yesterday', 1, cal), RangeError)
  const never = { ...cal, workingDays: [], holidays: [], workdays: [] } as SlaCalendar
  t.throws(() => addBusinessMinutes(T0, 1, never), RangeError)
})

t.test('calendar schema: hours in order, days not repeated, defaults for holidays and offset', async (t) => {
  t.notOk(BusinessCalendar.safeParse({ ...cal, hours: { start: '18:00', end: '09:00' } }).success)
  t.notOk(BusinessCalendar.safeParse({ ...cal, workingDays: [1, 1] }).success)
  t.notOk(BusinessCalendar.safeParse({ ...cal, workingDays: [0] }).success)
  t.notOk(BusinessCalendar.safeParse({ ...cal, holidays: ['2026-13-01'] }).success)
  const parsed = BusinessCalendar.parse({ kind: 'business', workingDays: [1, 2, 3, 4, 5, 6], hours: { start: '08:00', end: '24:00' } })
  t.same([parsed.holidays, parsed.workdays, parsed.utcOffsetMinutes], [[], [], 480])
  t.ok(SlaPolicy.safeParse(DEFAULT_SLA_POLICY).success, 'the default policy is a valid policy')
})

t.test('the default policy (DESIGN §4)', async (t) => {
  const minutes = (p: 'low' | 'normal' | 'high' | 'urgent') => {
    const { responseMinutes, updateMinutes, resolutionMinutes, calendar } = slaTermsFor(DEFAULT_SLA_POLICY, p)
    return [responseMinutes, updateMinutes, resolutionMinutes, calendar.kind]
  }
  t.same(minutes('urgent'), [15, 120, 240, '24x7'])
  t.same(minutes('high'), [60, 240, 24 * 60, 'business'])
  t.same(minutes('normal'), [240, 480, 72 * 60, 'business'])
  t.same(minutes('low'), [24 * 60, 24 * 60, 7 * 24 * 60, 'business'])
  t.equal(slaTermsFor(DEFAULT_SLA_POLICY, 'low').policyId, 'default-v1')
})

t.test('properties: counting and adding agree', async (t) => {
  const instant = fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2027-12-31T00:00:00Z') })
  const calendars = fc.constantFrom<SlaCalendar>(
    cal,
    { kind: '24x7' },
    { ...cal, holidays: ['2026-05-01', '2026-05-04', '2026-10-01'], workdays: ['2026-04-26'] },
  )
  fc.assert(
    fc.property(instant, fc.integer({ min: 1, max: 20_000 }), calendars, (start, minutes, calendar) => {
      const startIso = new Date(start).toISOString()
      const end = addBusinessMinutes(startIso, minutes, calendar)
      return Date.parse(end) > start && businessMinutesBetween(startIso, end, calendar) === minutes
    }),
    { numRuns: 300 },
  )
  fc.assert(
    fc.property(instant, instant, instant, calendars, (due, a, b, calendar) => {
      // Moving a deadline by paused time is exact: the paused time can be measured back from the moved deadline.
      const [from, to] = [Math.min(a, b), Math.max(a, b)].map((n) => new Date(n).toISOString()) as [string, string]
      const dueIso = addBusinessMinutes(new Date(due).toISOString(), 1, calendar)
      const paused = businessMinutesBetween(from, to, calendar)
      const moved = addBusinessMinutes(dueIso, paused, calendar)
      return paused >= 0 && businessMinutesBetween(dueIso, moved, calendar) === paused
    }),
    { numRuns: 300 },
  )
})

t.test('slaClocks: what a read model and the SLA worker see', async (t) => {
  const reported = run([commandFor('report')])
  const state = reported.state as ActiveCaseState
  t.test('while reported: response and resolution run, no update clock yet', async (t) => {
    const clocks = slaClocks(state, bj('2026-03-02T10:00'))
    t.match(clocks.response, { dueAt: bj('2026-03-02T13:00'), remainingMinutes: 180, overdue: false, running: true })
    t.notOk('met' in clocks.response)
    t.match(clocks.update, { dueAt: null, remainingMinutes: null, overdue: false, running: false })
    t.match(clocks.resolution, { dueAt: bj('2026-03-11T18:00'), remainingMinutes: 72 * 60 - 60, running: true })
    const late = slaClocks(state, bj('2026-03-02T14:30'))
    t.match(late.response, { overdue: true, remainingMinutes: -90 })
  })

  t.test('a late response is met: false, and stays measured at the response', async (t) => {
    const acked = run([commandFor('acknowledge')], { from: reported.events, start: bj('2026-03-02T14:00') })
    const clocks = slaClocks(acked.state as ActiveCaseState, bj('2026-03-05T10:00'))
    t.match(clocks.response, { met: false, overdue: true, remainingMinutes: -60, running: false })
    t.match(clocks.update, { dueAt: bj('2026-03-03T13:00'), running: true })
  })

  t.test('on hold the resolution clock is frozen; resolved it is met', async (t) => {
    const held = run([commandFor('acknowledge'), commandFor('assign'), commandFor('hold')], {
      from: reported.events,
      start: bj('2026-03-02T10:00'),
    })
    const heldState = held.state as ActiveCaseState
    const dayOne = slaClocks(heldState, bj('2026-03-03T10:00'))
    const weekLater = slaClocks(heldState, bj('2026-03-20T10:00'))
    t.equal(dayOne.resolution.remainingMinutes, weekLater.resolution.remainingMinutes, 'no time passes on hold')
    t.match(weekLater.resolution, { running: false, overdue: false })
    t.match(weekLater.update, { dueAt: null, running: false })

    const resolved = run([commandFor('resume'), commandFor('resolve')], { from: held.events, start: bj('2026-03-04T10:00') })
    t.match(slaClocks(resolved.state as ActiveCaseState, bj('2026-04-01T00:00')).resolution, { met: true, overdue: false, running: false })
  })

  t.test('hold pause end to end: a 24×7 case held 90 minutes is due 90 minutes later', async (t) => {
    const report: CaseCommand = { ...(commandFor('report') as Extract<CaseCommand, { type: 'report' }>) }
    report.data = { ...report.data, priority: 'urgent' }
    const started = run([report, commandFor('assign')], { start: T0, stepMinutes: 5 })
    const due = (started.state as ActiveCaseState).sla.resolution.dueAt
    const held = run([commandFor('hold')], { from: started.events, start: minutesAfter(T0, 30), stepMinutes: 90 })
    const resumed = run([commandFor('resume')], { from: held.events, start: held.now })
    t.equal((resumed.state as ActiveCaseState).sla.resolution.dueAt, minutesAfter(due, 90))
  })
})
