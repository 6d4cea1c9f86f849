import { scheduleEntryId } from '@pc/contracts'
import type {
  DisclosureKind,
  DisclosurePeriod,
  DisclosureSchedule,
  ScheduleInterval,
  ScheduledDisclosure,
} from '@pc/contracts'

/**
 * The disclosure schedule (公示周期) as of one day: for every configured entry, the calendar periods that have
 * ended, each `disclosed` (a published disclosure of the kind covers it), `due` (not yet, but still within
 * `dueWithinDays` of the period's end) or `overdue`. Pure: the day, the schedule and the published disclosures
 * come in as arguments.
 *
 * @example
 * scheduledDisclosures([{ kind: 'public_revenue', every: 'quarter', dueWithinDays: 30 }], [], '2026-04-15')
 * // [{ scheduleId: 'public_revenue-quarter', period: { from: '2026-01-01', to: '2026-03-31' },
 * //    dueBy: '2026-04-30', status: 'due', disclosures: [], … }]
 */

/** A published (not retracted) disclosure with a period, as the schedule sees it. */
export interface PublishedPeriodDisclosure {
  id: string
  kind: DisclosureKind
  title: string
  /** The current version's period. */
  period: DisclosurePeriod
  /** When version 1 was published (ISO date-time). */
  publishedAt: string
}

/** Most periods listed per entry, newest kept: a `since` decades back must not produce an unbounded answer. */
export const MAX_SCHEDULED_PERIODS = 240

const MONTHS: Record<ScheduleInterval, number> = { month: 1, quarter: 3, half_year: 6, year: 12 }
const DAY_MS = 86_400_000

/**
 * @param asOf the day to judge on, `YYYY-MM-DD` in the estate's time zone
 * @param utcOffsetMinutes the estate's offset from UTC, to place `publishedAt` on a calendar day (late or not)
 */
export function scheduledDisclosures(
  schedule: DisclosureSchedule,
  published: readonly PublishedPeriodDisclosure[],
  asOf: string,
  utcOffsetMinutes: number,
): ScheduledDisclosure[] {
  const items: ScheduledDisclosure[] = []
  for (const entry of schedule) {
    const months = MONTHS[entry.every]
    // The last period that has ended is the one before the period containing `asOf`.
    const lastEnded = periodIndex(asOf, months) - 1
    const first = entry.since === undefined ? lastEnded : Math.max(periodIndex(entry.since, months), lastEnded - MAX_SCHEDULED_PERIODS + 1)
    for (let index = first; index <= lastEnded; index++) {
      const period = periodAt(index, months)
      const dueBy = addDays(period.to, entry.dueWithinDays)
      const covering = published
        .filter((d) => d.kind === entry.kind && d.period.from <= period.from && d.period.to >= period.to)
        .sort((a, b) => a.publishedAt.localeCompare(b.publishedAt) || a.id.localeCompare(b.id))
      const status = covering.length > 0 ? 'disclosed' : asOf > dueBy ? 'overdue' : 'due'
      items.push({
        scheduleId: scheduleEntryId(entry),
        kind: entry.kind,
        every: entry.every,
        period,
        dueBy,
        status,
        disclosures: covering.map((d) => ({
          id: d.id,
          title: d.title,
          publishedAt: d.publishedAt,
          late: localDate(d.publishedAt, utcOffsetMinutes) > dueBy,
        })),
      })
    }
  }
  return items.sort((a, b) => a.dueBy.localeCompare(b.dueBy) || a.scheduleId.localeCompare(b.scheduleId))
}

/**
 * The calendar day of an instant at a fixed offset from UTC, `YYYY-MM-DD`.
 *
 * @example
 * localDate('2026-03-31T17:00:00Z', 480) // '2026-04-01'
 */
export function localDate(iso: string, utcOffsetMinutes: number): string {
  const ms = Date.parse(iso)
  if (Number.isNaN(ms)) throw new TypeError(`not an ISO date-time: ${iso}`)
  return new Date(ms + utcOffsetMinutes * 60_000).toISOString().slice(0, 10)
}

/** Periods counted from year 0: the index of the period of `months` months that contains `date`. */
function periodIndex(date: string, months: number): number {
  const year = Number(date.slice(0, 4))
  const month = Number(date.slice(5, 7)) - 1
  return Math.floor((year * 12 + month) / months)
}

function periodAt(index: number, months: number): { from: string; to: string } {
  const startMonth = index * months
  const from = Date.UTC(Math.floor(startMonth / 12), startMonth % 12, 1)
  const endMonth = startMonth + months
  // Day 0 of the month after the period is the period's last day.
  const to = Date.UTC(Math.floor(endMonth / 12), endMonth % 12, 0)
  return { from: isoDay(from), to: isoDay(to) }
}

function addDays(date: string, days: number): string {
  return isoDay(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS)
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}
