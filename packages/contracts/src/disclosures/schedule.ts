import { z } from 'zod'
import { DecimalString, IsoDate, IsoDateTime, Uuid } from '../common.js'
import { DisclosureKind, DisclosurePeriod } from './values.js'

/**
 * The estate's disclosure schedule (公示周期): which kinds must be disclosed how often, and by when after the period
 * ends. Local rules differ (public revenue quarterly here, every six months there), so it is configuration
 * (`DISCLOSURE_SCHEDULE`, a JSON array of entries), and `GET /v1/disclosures/schedule` lists what is due and overdue.
 *
 * @example
 * DisclosureSchedule.parse([
 *   { kind: 'public_revenue', every: 'quarter', dueWithinDays: 30 },
 *   { kind: 'financial_statement', every: 'year', dueWithinDays: 90, since: '2025-01-01' },
 * ])
 */

/** Calendar periods a schedule entry repeats on; each starts on the first day of a month. */
export const ScheduleInterval = z.enum(['month', 'quarter', 'half_year', 'year'])
export type ScheduleInterval = z.infer<typeof ScheduleInterval>

export const DisclosureScheduleEntry = z.strictObject({
  /** Names the entry in the listing; defaults to `<kind>-<every>`. */
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lowercase letters, digits, - and _')
    .optional(),
  kind: DisclosureKind,
  every: ScheduleInterval,
  /** Days after the period ends within which the disclosure is due; past them it is overdue. */
  dueWithinDays: z.number().int().min(0).max(366).default(30),
  /**
   * The first period to check (the one containing this date). Without it only the latest ended period is checked:
   * what was due before the system ran is not reported as overdue.
   */
  since: IsoDate.optional(),
})
export type DisclosureScheduleEntry = z.infer<typeof DisclosureScheduleEntry>
export type DisclosureScheduleEntryInput = z.input<typeof DisclosureScheduleEntry>

export const DisclosureSchedule = z
  .array(DisclosureScheduleEntry)
  .max(50)
  .refine((entries) => new Set(entries.map(scheduleEntryId)).size === entries.length, 'entry ids must be unique')
export type DisclosureSchedule = z.infer<typeof DisclosureSchedule>

/** The default schedule (DESIGN §4's example): public revenue every quarter, the financial statement every year. */
export const DEFAULT_DISCLOSURE_SCHEDULE: DisclosureSchedule = Object.freeze([
  Object.freeze({ kind: 'public_revenue', every: 'quarter', dueWithinDays: 30 }),
  Object.freeze({ kind: 'financial_statement', every: 'year', dueWithinDays: 90 }),
]) as DisclosureSchedule

/**
 * The estate's offset from UTC, in minutes: which calendar day it is when the schedule is judged, and on which day a
 * disclosure was published. China Standard Time (UTC+8, no daylight saving), like the case figures' months.
 */
export const DISCLOSURE_SCHEDULE_UTC_OFFSET_MINUTES = 480

export function scheduleEntryId(entry: Pick<DisclosureScheduleEntry, 'id' | 'kind' | 'every'>): string {
  return entry.id ?? `${entry.kind}-${entry.every}`
}

/** Where a scheduled period stands on the day asked about. */
export const ScheduleStatus = z.enum(['due', 'overdue', 'disclosed'])
export type ScheduleStatus = z.infer<typeof ScheduleStatus>

/** `GET /v1/disclosures/schedule?status=&asOf=`: without `status`, what is due and overdue. */
export const DisclosureScheduleQuery = z.object({
  status: ScheduleStatus.optional(),
  /** The day to judge on (in the estate's time zone); default today. */
  asOf: IsoDate.optional(),
  waitFor: DecimalString.optional(),
})
export type DisclosureScheduleQuery = z.infer<typeof DisclosureScheduleQuery>

/** One period of one schedule entry. */
export const ScheduledDisclosure = z.strictObject({
  scheduleId: z.string(),
  kind: DisclosureKind,
  every: ScheduleInterval,
  period: DisclosurePeriod,
  /** The last day the disclosure is on time. */
  dueBy: IsoDate,
  status: ScheduleStatus,
  /** The published disclosures covering the period (a `disclosed` period has at least one). */
  disclosures: z.array(
    z.strictObject({
      id: Uuid,
      title: z.string(),
      publishedAt: IsoDateTime,
      /** Published after `dueBy`. */
      late: z.boolean(),
    }),
  ),
})
export type ScheduledDisclosure = z.infer<typeof ScheduledDisclosure>

export const DisclosureScheduleResponse = z.strictObject({
  asOf: IsoDate,
  items: z.array(ScheduledDisclosure),
})
export type DisclosureScheduleResponse = z.infer<typeof DisclosureScheduleResponse>
