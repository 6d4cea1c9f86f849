import { z } from 'zod'
import { TextLimit, line } from '../common.js'

/**
 * What a case is about (投诉/报修/建议/咨询/预警/纠纷). A `warning` is a risk found by patrol, an owner or
 * public-opinion monitoring; a `dispute` is between residents (noise, parking, pets, leaks…).
 */
export const CaseKind = z.enum(['complaint', 'repair', 'suggestion', 'inquiry', 'warning', 'dispute'])
export type CaseKind = z.infer<typeof CaseKind>

/** Where the case came in. `reception_day` is the regular open day (接待日), `owners_meeting` the 业主大会. */
export const CaseChannel = z.enum([
  'app',
  'wechat',
  'hotline',
  'visit',
  'reception_day',
  'suggestion_box',
  'owners_meeting',
  'patrol',
  'public_opinion',
])
export type CaseChannel = z.infer<typeof CaseChannel>

export const CasePriority = z.enum(['low', 'normal', 'high', 'urgent'])
export type CasePriority = z.infer<typeof CasePriority>

/** Every status a case can be in (DESIGN §4). `none` is the state before `CaseReported` and never stored. */
export const CaseStatus = z.enum([
  'reported',
  'acknowledged',
  'in_progress',
  'on_hold',
  'resolved',
  'followed_up',
  'closed',
  'withdrawn',
  'merged',
])
export type CaseStatus = z.infer<typeof CaseStatus>

/** The statuses in which work is still owed: escalate, note, withdraw and merge apply here. */
export const OpenCaseStatus = z.enum(['reported', 'acknowledged', 'in_progress', 'on_hold'])
export type OpenCaseStatus = z.infer<typeof OpenCaseStatus>

/** `internal` notes are for staff only and never reach a resident, not even through a merge. */
export const NoteVisibility = z.enum(['public', 'internal'])
export type NoteVisibility = z.infer<typeof NoteVisibility>

/** How the follow-up visit (回访) was made. */
export const FollowUpMethod = z.enum(['phone', 'visit', 'app', 'wechat'])
export type FollowUpMethod = z.infer<typeof FollowUpMethod>

/** The three SLA clocks: first response, next update, resolution. */
export const SlaClockName = z.enum(['response', 'update', 'resolution'])
export type SlaClockName = z.infer<typeof SlaClockName>

/** Satisfaction rating of a follow-up: 1 (very dissatisfied) … 5 (very satisfied); 1–2 reopens the case. */
export const Rating = z.number().int().min(1).max(5)
export type Rating = z.infer<typeof Rating>

/** Where the problem is: a building, optionally a unit (室) or an area (lobby, car park, garden…). */
export const CaseLocation = z.strictObject({
  building: line(TextLimit.name),
  unit: line(TextLimit.name).optional(),
  area: line(TextLimit.title).optional(),
})
export type CaseLocation = z.infer<typeof CaseLocation>

/**
 * The reporter's contact details. Personal data (DESIGN §7): kept in its own object so it can be encrypted per
 * data subject and erased, apart from every non-personal field of the case.
 */
export const ReporterContact = z.strictObject({
  name: line(TextLimit.name).optional(),
  phone: z
    .string()
    .trim()
    .regex(/^[0-9+()\- ]{3,32}$/, 'digits, spaces and + ( ) - only, 3 to 32 characters')
    .optional(),
})
export type ReporterContact = z.infer<typeof ReporterContact>
