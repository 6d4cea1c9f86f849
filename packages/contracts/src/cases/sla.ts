import { z } from 'zod'
import { IsoDate, TextLimit, line } from '../common.js'
import { CasePriority } from './values.js'

/** `HH:MM`, 00:00 … 24:00 (24:00 lets a window run to the end of the day). */
const ClockTime = z.string().regex(/^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$/, 'HH:MM between 00:00 and 24:00')

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))

/**
 * A business-hours calendar. A fixed UTC offset instead of a time-zone name, so no tz database is needed (China has
 * no daylight saving time: 480 = UTC+8). `holidays` are days off that would otherwise be working days; `workdays`
 * are make-up working days (调休补班) that fall on what is otherwise a day off.
 */
export const BusinessCalendar = z
  .strictObject({
    kind: z.literal('business'),
    /** ISO weekdays: 1 = Monday … 7 = Sunday. */
    workingDays: z.array(z.number().int().min(1).max(7)).min(1).max(7),
    hours: z.strictObject({ start: ClockTime, end: ClockTime }),
    holidays: z.array(IsoDate).max(1_000).default([]),
    workdays: z.array(IsoDate).max(1_000).default([]),
    utcOffsetMinutes: z.number().int().min(-720).max(840).default(480),
  })
  .refine((c) => minutesOf(c.hours.start) < minutesOf(c.hours.end), {
    message: 'hours.start must be before hours.end',
    path: ['hours'],
  })
  .refine((c) => new Set(c.workingDays).size === c.workingDays.length, {
    message: 'working days must not repeat',
    path: ['workingDays'],
  })
export type BusinessCalendar = z.infer<typeof BusinessCalendar>

/** Round the clock: every minute counts (urgent cases). */
export const AlwaysCalendar = z.strictObject({ kind: z.literal('24x7') })
export type AlwaysCalendar = z.infer<typeof AlwaysCalendar>

export const SlaCalendar = z.discriminatedUnion('kind', [BusinessCalendar, AlwaysCalendar])
export type SlaCalendar = z.infer<typeof SlaCalendar>

const Minutes = z.number().int().min(1).max(366 * 24 * 60)

/** Targets for one priority, in minutes counted on the named calendar. */
export const SlaTarget = z.strictObject({
  /** First response: until the case is acknowledged (or assigned). */
  responseMinutes: Minutes,
  /** Next update: a public note or status change at least this often while open. */
  updateMinutes: Minutes,
  /** Resolution: until the case is resolved; time on hold does not count. */
  resolutionMinutes: Minutes,
  calendar: z.enum(['business', '24x7']),
})
export type SlaTarget = z.infer<typeof SlaTarget>

/** A whole SLA policy as configured: targets per priority and the business calendar non-24×7 targets use. */
export const SlaPolicy = z.strictObject({
  /** Names the policy in force, so an auditor can tell which configuration a case was measured against. */
  id: line(TextLimit.name),
  targets: z.strictObject({
    low: SlaTarget,
    normal: SlaTarget,
    high: SlaTarget,
    urgent: SlaTarget,
  }),
  businessCalendar: BusinessCalendar,
})
export type SlaPolicy = z.infer<typeof SlaPolicy>

/**
 * The terms one case is measured against, resolved from the policy at report time and written into `CaseReported`
 * so replay never depends on today's configuration.
 */
export const SlaTerms = z.strictObject({
  policyId: line(TextLimit.name),
  priority: CasePriority,
  responseMinutes: Minutes,
  updateMinutes: Minutes,
  resolutionMinutes: Minutes,
  calendar: SlaCalendar,
})
export type SlaTerms = z.infer<typeof SlaTerms>
