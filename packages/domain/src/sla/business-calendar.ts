import { weakMemo, type BusinessCalendar, type SlaCalendar } from '@pc/contracts'

/**
 * Time counted on an SLA calendar: round the clock (`24x7`) or business hours on working days, skipping holidays
 * and counting make-up working days (调休补班). Pure: no clock, no tz database — a business calendar carries a
 * fixed UTC offset, which is exact for China (no daylight saving time).
 *
 * Minutes may be fractional: times carry milliseconds, and the pause arithmetic must be exact so that
 * `addBusinessMinutes(due, businessMinutesBetween(a, b))` moves a deadline by precisely the paused time.
 */

const MINUTE = 60_000
const DAY = 86_400_000
/** A calendar with no working time for this long is a configuration error, not a reason to loop forever. */
const MAX_DAYS_SEARCHED = 3_660

interface CompiledCalendar {
  offsetMs: number
  openMs: number
  closeMs: number
  isWorkingDay(localDay: number): boolean
}

// Calendars come from a case's SLA terms, read once and never mutated: compile each object once.
const compile = weakMemo((calendar: BusinessCalendar): CompiledCalendar => {
  const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))
  const workingDays = new Set(calendar.workingDays)
  const holidays = new Set(calendar.holidays)
  const workdays = new Set(calendar.workdays)
  const result: CompiledCalendar = {
    offsetMs: calendar.utcOffsetMinutes * MINUTE,
    openMs: minutesOf(calendar.hours.start) * MINUTE,
    closeMs: minutesOf(calendar.hours.end) * MINUTE,
    isWorkingDay(localDay) {
      const midnight = new Date(localDay * DAY)
      const date = midnight.toISOString().slice(0, 10)
      // A date listed as a holiday is a day off even if it is also (by mistake) listed as a make-up day.
      if (holidays.has(date)) return false
      if (workdays.has(date)) return true
      return workingDays.has(midnight.getUTCDay() === 0 ? 7 : midnight.getUTCDay())
    },
  }
  if (result.openMs >= result.closeMs) throw new RangeError('calendar hours: start must be before end')
  return result
})

function toMs(iso: string): number {
  const ms = Date.parse(iso)
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO date-time: ${iso}`)
  return ms
}

const toIso = (ms: number) => new Date(ms).toISOString()

/**
 * The instant `minutes` of calendar time after `startIso` (as a UTC ISO string). Starting outside business hours,
 * counting begins at the next opening; a deadline that uses up a day exactly lands on its closing time.
 *
 * @example
 * // Friday 17:00 Beijing time + 2 business hours (09:00–18:00, Mon–Fri) → Monday 10:00 Beijing time
 * addBusinessMinutes('2026-03-06T09:00:00Z', 120, DEFAULT_BUSINESS_CALENDAR) // '2026-03-09T02:00:00.000Z'
 */
export function addBusinessMinutes(startIso: string, minutes: number, calendar: SlaCalendar): string {
  if (!Number.isFinite(minutes) || minutes < 0) throw new RangeError(`minutes must be ≥ 0, got ${minutes}`)
  const start = toMs(startIso)
  let remaining = Math.round(minutes * MINUTE)
  if (calendar.kind === '24x7' || remaining === 0) return toIso(start + remaining)
  const cal = compile(calendar)
  let t = start
  for (let searched = 0; searched < MAX_DAYS_SEARCHED; searched++) {
    const localDay = Math.floor((t + cal.offsetMs) / DAY)
    const midnight = localDay * DAY - cal.offsetMs
    if (cal.isWorkingDay(localDay)) {
      const open = midnight + cal.openMs
      const close = midnight + cal.closeMs
      if (t < open) t = open
      if (t < close) {
        const available = close - t
        if (remaining <= available) return toIso(t + remaining)
        remaining -= available
      }
    }
    t = midnight + DAY
  }
  throw new RangeError(`calendar has no working time within ${MAX_DAYS_SEARCHED} days of ${startIso}`)
}

/**
 * Calendar minutes from `aIso` to `bIso`: negative when `b` is before `a`. On a business calendar only time inside
 * business hours on working days counts.
 *
 * @example
 * // Friday 17:00 → Monday 10:00 Beijing time: 60 + 60 business minutes
 * businessMinutesBetween('2026-03-06T09:00:00Z', '2026-03-09T02:00:00Z', DEFAULT_BUSINESS_CALENDAR) // 120
 */
export function businessMinutesBetween(aIso: string, bIso: string, calendar: SlaCalendar): number {
  const a = toMs(aIso)
  const b = toMs(bIso)
  if (b < a) return -businessMinutesBetween(bIso, aIso, calendar)
  if (calendar.kind === '24x7') return (b - a) / MINUTE
  const cal = compile(calendar)
  let total = 0
  const lastDay = Math.floor((b + cal.offsetMs) / DAY)
  for (let localDay = Math.floor((a + cal.offsetMs) / DAY); localDay <= lastDay; localDay++) {
    if (!cal.isWorkingDay(localDay)) continue
    const midnight = localDay * DAY - cal.offsetMs
    const from = Math.max(a, midnight + cal.openMs)
    const to = Math.min(b, midnight + cal.closeMs)
    if (to > from) total += to - from
  }
  return total / MINUTE
}

/** Whether `iso` falls inside business hours (always true round the clock). */
export function isBusinessTime(iso: string, calendar: SlaCalendar): boolean {
  if (calendar.kind === '24x7') return true
  const cal = compile(calendar)
  const t = toMs(iso)
  const localDay = Math.floor((t + cal.offsetMs) / DAY)
  const midnight = localDay * DAY - cal.offsetMs
  return cal.isWorkingDay(localDay) && t >= midnight + cal.openMs && t < midnight + cal.closeMs
}
