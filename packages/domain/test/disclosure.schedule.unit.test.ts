import t from 'tap'
import { DisclosureSchedule, type DisclosureScheduleEntryInput } from '@pc/contracts'
import { localDate, MAX_SCHEDULED_PERIODS, scheduledDisclosures, type PublishedPeriodDisclosure } from '../src/disclosures/index.js'

/** The disclosure schedule (公示周期) as of a day: which periods are due, overdue or disclosed. */

const CST = 480
const schedule = (...entries: DisclosureScheduleEntryInput[]) => DisclosureSchedule.parse(entries)
const quarterly = schedule({ kind: 'public_revenue', every: 'quarter', dueWithinDays: 30 })

function revenue(id: string, from: string, to: string, publishedAt: string): PublishedPeriodDisclosure {
  return { id, kind: 'public_revenue', title: `Public revenue ${from}`, period: { from, to }, publishedAt }
}

t.test('the last ended quarter is due within dueWithinDays of its end, overdue after', async (t) => {
  t.match(scheduledDisclosures(quarterly, [], '2026-04-30', CST), [
    { scheduleId: 'public_revenue-quarter', period: { from: '2026-01-01', to: '2026-03-31' }, dueBy: '2026-04-30', status: 'due' },
  ])
  t.match(scheduledDisclosures(quarterly, [], '2026-05-01', CST), [{ dueBy: '2026-04-30', status: 'overdue' }])
  t.same(scheduledDisclosures(quarterly, [], '2026-04-01', CST).map((i) => i.period), [{ from: '2026-01-01', to: '2026-03-31' }])
  t.same(
    scheduledDisclosures(quarterly, [], '2026-03-31', CST).map((i) => i.period),
    [{ from: '2025-10-01', to: '2025-12-31' }],
    'the quarter that ends today has not ended',
  )
})

t.test('a published disclosure of the kind whose period covers the scheduled one discloses it', async (t) => {
  const q1 = revenue('a', '2026-01-01', '2026-03-31', '2026-04-10T02:00:00.000Z')
  t.match(scheduledDisclosures(quarterly, [q1], '2026-05-20', CST), [{ status: 'disclosed', disclosures: [{ id: 'a', late: false }] }])
  const halfYear = revenue('b', '2025-10-01', '2026-03-31', '2026-04-02T00:00:00.000Z')
  t.match(scheduledDisclosures(quarterly, [halfYear], '2026-04-15', CST), [{ status: 'disclosed', disclosures: [{ id: 'b' }] }], 'a longer period covers it')
  const partial = revenue('c', '2026-01-01', '2026-02-28', '2026-04-02T00:00:00.000Z')
  t.match(scheduledDisclosures(quarterly, [partial], '2026-04-15', CST), [{ status: 'due', disclosures: [] }], 'a shorter one does not')
  const otherKind = { ...q1, kind: 'financial_statement' as const }
  t.match(scheduledDisclosures(quarterly, [otherKind], '2026-04-15', CST), [{ status: 'due' }], 'nor another kind')
})

t.test('late is judged on the estate’s calendar day', async (t) => {
  // 2026-04-30T16:30Z is already 1 May in UTC+8: one day past dueBy.
  const late = revenue('a', '2026-01-01', '2026-03-31', '2026-04-30T16:30:00.000Z')
  t.match(scheduledDisclosures(quarterly, [late], '2026-05-02', CST), [{ status: 'disclosed', disclosures: [{ late: true }] }])
  const onTime = revenue('a', '2026-01-01', '2026-03-31', '2026-04-30T15:30:00.000Z')
  t.match(scheduledDisclosures(quarterly, [onTime], '2026-05-02', CST), [{ disclosures: [{ late: false }] }])
  t.equal(localDate('2026-03-31T17:00:00Z', CST), '2026-04-01')
  t.equal(localDate('2026-03-31T15:59:59Z', CST), '2026-03-31')
})

t.test('with since, every period from then is listed, oldest due date first', async (t) => {
  const s = schedule({ kind: 'public_revenue', every: 'quarter', dueWithinDays: 30, since: '2025-05-20' })
  const items = scheduledDisclosures(s, [revenue('q3', '2025-07-01', '2025-09-30', '2025-10-05T00:00:00Z')], '2026-04-15', CST)
  t.same(
    items.map((i) => [i.period.from, i.status]),
    [
      ['2025-04-01', 'overdue'],
      ['2025-07-01', 'disclosed'],
      ['2025-10-01', 'overdue'],
      ['2026-01-01', 'due'],
    ],
  )
  const ancient = schedule({ kind: 'public_revenue', every: 'month', since: '1990-01-01' })
  t.equal(scheduledDisclosures(ancient, [], '2026-04-15', CST).length, MAX_SCHEDULED_PERIODS, 'bounded')
})

t.test('months, half years and years are calendar periods; the ids and defaults are filled in', async (t) => {
  const s = schedule(
    { kind: 'financial_statement', every: 'year', dueWithinDays: 90 },
    { id: 'maintenance-fund', kind: 'financial_statement', every: 'half_year' },
    { kind: 'notice', every: 'month', dueWithinDays: 0 },
  )
  const items = scheduledDisclosures(s, [], '2026-03-15', CST)
  t.same(
    items.map((i) => [i.scheduleId, i.period.from, i.period.to, i.dueBy, i.status]),
    [
      ['maintenance-fund', '2025-07-01', '2025-12-31', '2026-01-30', 'overdue'],
      ['notice-month', '2026-02-01', '2026-02-28', '2026-02-28', 'overdue'],
      ['financial_statement-year', '2025-01-01', '2025-12-31', '2026-03-31', 'due'],
    ],
  )
  t.same(scheduledDisclosures(schedule({ kind: 'notice', every: 'month' }), [], '2024-03-01', CST)[0]?.period, { from: '2024-02-01', to: '2024-02-29' }, 'leap February')
})

t.test('the schedule configuration is checked: kinds, intervals, unique ids', async (t) => {
  t.notOk(DisclosureSchedule.safeParse([{ kind: 'public_revenue', every: 'fortnight' }]).success)
  t.notOk(DisclosureSchedule.safeParse([{ kind: 'gossip', every: 'year' }]).success)
  t.notOk(DisclosureSchedule.safeParse([{ kind: 'public_revenue', every: 'year', dueWithinDays: -1 }]).success)
  t.notOk(
    DisclosureSchedule.safeParse([
      { kind: 'public_revenue', every: 'year' },
      { kind: 'public_revenue', every: 'year' },
    ]).success,
    'two entries with one id',
  )
  t.equal(DisclosureSchedule.parse([{ kind: 'public_revenue', every: 'year' }])[0]?.dueWithinDays, 30)
})
