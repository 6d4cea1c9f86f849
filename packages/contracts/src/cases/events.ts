import { z } from 'zod'
import { IsoDateTime, TextLimit, UserId, Uuid, line, text } from '../common.js'
import { Sealed } from '../personal.js'
import type { EventHistory, EventTypeRegistry } from '../event-registry.js'
import { SlaTerms } from './sla.js'
import {
  CaseChannel,
  CaseKind,
  CaseLocation,
  CasePriority,
  FollowUpMethod,
  NoteVisibility,
  OpenCaseStatus,
  Rating,
  ReporterContact,
  SlaClockName,
} from './values.js'

/**
 * The data of every case event, latest schema version. Every event carries `at` (when it happened, from the
 * command's clock) so `evolve` and read models never need the envelope to place it in time, and holds whatever a
 * read model needs without reading another stream. Who did it is `metadata.actor`; data names a person only where
 * the person is the subject (reporter, assignee, note author).
 *
 * Deadlines are written where they are set: `CaseReported` holds the SLA terms in force and the first deadlines;
 * events that restart a clock hold the deadline they set, so a projection copies them instead of recomputing.
 */

const at = IsoDateTime
const reason = () => text(TextLimit.reason)
/** Minutes counted on the case's SLA calendar (fractional: times carry milliseconds). */
const BusinessMinutes = z.number().min(0)

const CaseReportedFields = {
  caseId: Uuid,
  kind: CaseKind,
  category: line(TextLimit.name),
  title: line(TextLimit.title),
  description: text(),
  channel: CaseChannel,
  priority: CasePriority,
  location: CaseLocation,
  /** The resident the case belongs to; `null` when staff report on nobody's behalf (a patrol finding). */
  reporterId: UserId.nullable(),
  /** Who entered it: the resident themselves, or the staff member at the hotline or the reception day. */
  reportedBy: UserId,
  sla: z.strictObject({
    terms: SlaTerms,
    responseDueAt: IsoDateTime,
    resolutionDueAt: IsoDateTime,
  }),
  at,
}

/**
 * Version 2: the reporter's contact (name, phone) is sealed under the reporter's data key (DESIGN §7), never in
 * clear; `null` when none was given.
 */
export const CaseReportedData = z.strictObject({
  ...CaseReportedFields,
  /** Personal data: `{ name?, phone? }` sealed for its subject (the reporter, or a contact staff recorded). */
  reporter: Sealed.nullable(),
})

/** Version 1 carried the reporter's contact in clear (before personal data was sealed). */
export const CaseReportedDataV1 = z.strictObject({ ...CaseReportedFields, reporter: ReporterContact.nullable() })

export const CaseAcknowledgedData = z.strictObject({
  note: text().nullable(),
  /** Whether the first response came by its deadline. */
  withinSla: z.boolean(),
  /** The update clock starts with the first response. */
  updateDueAt: IsoDateTime,
  at,
})

export const CaseAssignedData = z.strictObject({
  assigneeId: UserId,
  team: line(TextLimit.name).nullable(),
  previousAssigneeId: UserId.nullable(),
  /** Present when the assignment restarts the update clock (absent while on hold). */
  updateDueAt: IsoDateTime.optional(),
  at,
})

export const CaseOnHoldData = z.strictObject({ reason: reason(), at })

export const CaseResumedData = z.strictObject({
  /** Time on hold, counted on the SLA calendar; the resolution deadline moved by exactly this. */
  pausedMinutes: BusinessMinutes,
  resolutionDueAt: IsoDateTime,
  updateDueAt: IsoDateTime,
  at,
})

export const CaseNoteAddedData = z.strictObject({
  /** `note-<n>`, numbered within the case. */
  noteId: z.string().regex(/^note-[1-9][0-9]*$/),
  body: text(),
  visibility: NoteVisibility,
  authorId: UserId,
  /** Present when a public note restarts the update clock. */
  updateDueAt: IsoDateTime.optional(),
  at,
})

/** v1: the shape before the SLA worker escalated on its own (kept for the upcaster; see `upcasters.ts`). */
export const CaseEscalatedDataV1 = z.strictObject({
  reason: reason(),
  level: z.number().int().min(1),
  at,
})

export const CaseEscalatedData = z.strictObject({
  reason: reason(),
  /** The escalation level after this event (1 = first escalation). */
  level: z.number().int().min(1),
  /** `sla`: raised by the SLA worker when a clock was breached; `manual`: by a person. */
  source: z.enum(['manual', 'sla']),
  clock: SlaClockName.nullable(),
  at,
})

export const CaseResolvedData = z.strictObject({
  resolution: text(),
  /** Whether the resolution came by its deadline. */
  withinSla: z.boolean(),
  at,
})

export const CaseFollowedUpData = z.strictObject({
  rating: Rating,
  comment: text(TextLimit.reason).nullable(),
  method: FollowUpMethod,
  /** A rating of 1–2 reopens the case: a `CaseReopened` follows in the same append. */
  reopens: z.boolean(),
  at,
})

export const CaseReopenedData = z.strictObject({
  reason: reason(),
  /** The follow-up that caused the reopen (rating 1–2), or `null` for a reopen on request. */
  feedback: z.strictObject({ rating: Rating, comment: text(TextLimit.reason).nullable() }).nullable(),
  previousStatus: z.enum(['resolved', 'followed_up', 'closed']),
  /** How many times the case has been reopened, this one included. */
  reopenCount: z.number().int().min(1),
  /**
   * The resolution clock continues where it stood at resolution: it was stopped while resolved, and the deadline
   * moved by exactly this much calendar time.
   */
  pausedMinutes: BusinessMinutes,
  resolutionDueAt: IsoDateTime,
  updateDueAt: IsoDateTime,
  at,
})

export const CaseReviewedData = z.strictObject({
  rootCause: text(),
  lessons: text(),
  preventiveActions: z.array(text(TextLimit.reason)).max(50),
  typical: z.boolean(),
  at,
})

export const CaseClosedData = z.strictObject({
  /** Whether the case needed a review (复盘) to close, and so had one. */
  reviewRequired: z.boolean(),
  at,
})

export const CaseWithdrawnData = z.strictObject({ reason: reason(), previousStatus: OpenCaseStatus, at })

export const CaseLinkedData = z.strictObject({ linkedCaseId: Uuid, at })

export const CaseUnlinkedData = z.strictObject({ linkedCaseId: Uuid, at })

export const CaseMergedData = z.strictObject({
  intoCaseId: Uuid,
  /** Restored by an unmerge. */
  previousStatus: OpenCaseStatus,
  at,
})

export const CaseUnmergedData = z.strictObject({
  fromCaseId: Uuid,
  restoredStatus: OpenCaseStatus,
  /** Time spent merged, counted on the SLA calendar; running clocks' deadlines moved by exactly this. */
  pausedMinutes: BusinessMinutes,
  responseDueAt: IsoDateTime,
  resolutionDueAt: IsoDateTime,
  /** The update clock restarts unless the case goes back to `reported` or `on_hold`. */
  updateDueAt: IsoDateTime.nullable(),
  at,
})

/** The SLA worker found a clock past its deadline (recorded once per breach, actor `system:sla`). */
export const SlaOverdueData = z.strictObject({
  dueAt: IsoDateTime,
  /** How far past the deadline the worker saw it, counted on the SLA calendar. */
  overdueMinutes: BusinessMinutes,
  at,
})

/**
 * Event type → latest schema version and its data schema. Stored events carry `schemaVersion`; older versions
 * are brought up to date by `upcast` (`upcasters.ts`) before they reach `evolve`.
 */
export const CaseEventTypes = {
  CaseReported: { schemaVersion: 2, schema: CaseReportedData },
  CaseAcknowledged: { schemaVersion: 1, schema: CaseAcknowledgedData },
  CaseAssigned: { schemaVersion: 1, schema: CaseAssignedData },
  CaseOnHold: { schemaVersion: 1, schema: CaseOnHoldData },
  CaseResumed: { schemaVersion: 1, schema: CaseResumedData },
  CaseNoteAdded: { schemaVersion: 1, schema: CaseNoteAddedData },
  CaseEscalated: { schemaVersion: 2, schema: CaseEscalatedData },
  CaseResolved: { schemaVersion: 1, schema: CaseResolvedData },
  CaseFollowedUp: { schemaVersion: 1, schema: CaseFollowedUpData },
  CaseReopened: { schemaVersion: 1, schema: CaseReopenedData },
  CaseReviewed: { schemaVersion: 1, schema: CaseReviewedData },
  CaseClosed: { schemaVersion: 1, schema: CaseClosedData },
  CaseWithdrawn: { schemaVersion: 1, schema: CaseWithdrawnData },
  CaseLinked: { schemaVersion: 1, schema: CaseLinkedData },
  CaseUnlinked: { schemaVersion: 1, schema: CaseUnlinkedData },
  CaseMerged: { schemaVersion: 1, schema: CaseMergedData },
  CaseUnmerged: { schemaVersion: 1, schema: CaseUnmergedData },
  ResponseOverdue: { schemaVersion: 1, schema: SlaOverdueData },
  UpdateOverdue: { schemaVersion: 1, schema: SlaOverdueData },
  ResolutionOverdue: { schemaVersion: 1, schema: SlaOverdueData },
} as const satisfies EventTypeRegistry

/** Schemas of superseded versions, kept so an old stored event is validated against the shape it was written in. */
export const CaseEventHistory = {
  CaseReported: { 1: CaseReportedDataV1 },
  CaseEscalated: { 1: CaseEscalatedDataV1 },
} as const satisfies EventHistory

export type CaseEventType = keyof typeof CaseEventTypes
export type CaseEventData<T extends CaseEventType> = z.infer<(typeof CaseEventTypes)[T]['schema']>

/** A case event as the decider produces and `evolve` consumes it: type and latest-version data. */
export type CaseEvent = { [T in CaseEventType]: { type: T; data: CaseEventData<T> } }[CaseEventType]

/** Narrows an event by type: `CaseEventOf<'CaseReported'>`. */
export type CaseEventOf<T extends CaseEventType> = Extract<CaseEvent, { type: T }>

export function isCaseEventType(type: string): type is CaseEventType {
  return Object.hasOwn(CaseEventTypes, type)
}
