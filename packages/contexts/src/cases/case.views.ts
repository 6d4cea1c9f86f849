import {
  CaseChannel,
  CaseKind,
  CasePriority,
  CaseStatus,
  DecimalString,
  FollowUpMethod,
  IsoDateTime,
  NoteVisibility,
  personalView,
  ReporterContact,
  SlaClockName,
  Uuid,
} from '@pc/contracts'
import { slaClocks, type ActiveCaseState, type SlaClocks } from '@pc/domain'
import type { CaseDetailRecord, CaseRecord, TimelineEntry } from '@pc/read-models'
import { z } from 'zod'

/**
 * What the case queries answer, as zod schemas (they are the responses' OpenAPI too) and the functions that build
 * them. Revisions and positions are decimal strings; times ISO 8601 UTC. Output schemas carry no transforms: the
 * serializer encodes with them.
 */

const SlaClockView = z.object({
  clock: SlaClockName,
  dueAt: IsoDateTime.nullable(),
  remainingMinutes: z.number().int().nullable().describe('Whole minutes left on the clock, negative when past due'),
  overdue: z.boolean(),
  met: z.boolean().optional(),
  running: z.boolean(),
  overdueRecorded: z.boolean(),
})

export const SlaClocksView = z.object({ response: SlaClockView, update: SlaClockView, resolution: SlaClockView })

export const CaseSummaryView = z.object({
  id: Uuid,
  revision: DecimalString.describe('The revision to send as If-Match'),
  position: DecimalString,
  status: CaseStatus,
  kind: CaseKind,
  category: z.string(),
  channel: CaseChannel,
  priority: CasePriority,
  title: z.string(),
  location: z.object({ building: z.string(), unit: z.string().optional(), area: z.string().optional() }),
  reporterId: z.string().nullable(),
  reportedBy: z.string(),
  assigneeId: z.string().nullable(),
  team: z.string().nullable(),
  escalationLevel: z.number().int(),
  reopenCount: z.number().int(),
  noteCount: z.number().int().describe('The notes this reader may see: public ones only for residents'),
  reviewRequired: z.boolean(),
  reviewed: z.boolean(),
  rating: z.number().int().nullable(),
  overdue: z.boolean().describe('A running SLA clock is past its deadline now'),
  sla: SlaClocksView,
  linkedCaseIds: z.array(Uuid).optional().describe('Not shown to residents'),
  mergedIntoCaseId: Uuid.nullable(),
  reportedAt: IsoDateTime,
  resolvedAt: IsoDateTime.nullable(),
  closedAt: IsoDateTime.nullable(),
  updatedAt: IsoDateTime,
})
export type CaseSummaryView = z.infer<typeof CaseSummaryView>

/**
 * The reporter's contact (DESIGN §7), opened at query time: in clear for staff, technicians, managers and the
 * reporter; sealed for auditors and mediators; `{ erased: true }` once the reporter was forgotten.
 */
export const ReporterView = personalView(ReporterContact)
export type ReporterView = z.infer<typeof ReporterView>

export const CaseDetailView = CaseSummaryView.extend({
  description: z.string(),
  reporter: ReporterView.nullable(),
  resolution: z.string().nullable(),
  followUp: z
    .object({ rating: z.number().int(), comment: z.string().nullable(), method: FollowUpMethod, at: IsoDateTime })
    .nullable(),
  review: z
    .object({
      rootCause: z.string(),
      lessons: z.string(),
      preventiveActions: z.array(z.string()),
      typical: z.boolean(),
      at: IsoDateTime,
    })
    .nullable()
    .optional()
    .describe('The latest review (复盘); not shown to residents'),
  hold: z.object({ reason: z.string(), since: IsoDateTime }).nullable(),
  withdrawal: z.object({ reason: z.string(), at: IsoDateTime }).nullable(),
  mergedCaseIds: z.array(Uuid).optional().describe('Not shown to residents'),
})
export type CaseDetailView = z.infer<typeof CaseDetailView>

export const TimelineEntryView = z.object({
  revision: DecimalString,
  position: DecimalString,
  eventId: Uuid,
  type: z.string(),
  at: IsoDateTime,
  actor: z.object({ id: z.string(), roles: z.array(z.string()) }),
  visibility: NoteVisibility,
  summary: z.string(),
  detail: z.string().nullable(),
})

export function caseSummaryView(record: CaseRecord, now: string, internal: boolean): CaseSummaryView {
  const { state } = record
  const sla = slaClocks(state, now)
  const view: CaseSummaryView = {
    id: record.caseId,
    revision: record.revision.toString(),
    position: record.position.toString(),
    status: state.status,
    kind: state.kind,
    category: state.category,
    channel: state.channel,
    priority: state.priority,
    title: state.title,
    location: { ...state.location },
    reporterId: state.reporterId,
    reportedBy: state.reportedBy,
    assigneeId: state.assigneeId,
    team: state.team,
    escalationLevel: state.escalationLevel,
    reopenCount: state.reopenCount,
    // A resident is not told how many internal notes staff keep on their case.
    noteCount: internal ? state.noteCount : state.publicNoteCount,
    reviewRequired: record.reviewRequired,
    reviewed: state.reviewed,
    rating: state.followUp?.rating ?? null,
    overdue: isOverdue(sla),
    sla,
    mergedIntoCaseId: state.status === 'merged' ? state.merge.intoCaseId : null,
    reportedAt: state.reportedAt,
    resolvedAt: state.sla.resolution.resolvedAt,
    closedAt: state.status === 'closed' ? state.closedAt : null,
    updatedAt: record.updatedAt,
  }
  if (internal) view.linkedCaseIds = [...state.links]
  return view
}

export function caseDetailView(
  record: CaseDetailRecord,
  now: string,
  internal: boolean,
  reporter: z.infer<typeof ReporterView> | null,
): CaseDetailView {
  const { state } = record
  const view: CaseDetailView = {
    ...caseSummaryView(record, now, internal),
    description: state.description,
    reporter,
    resolution: state.resolution,
    followUp: state.followUp,
    hold: state.status === 'on_hold' ? state.hold : null,
    withdrawal: state.status === 'withdrawn' ? { reason: state.withdrawal.reason, at: state.withdrawal.at } : null,
  }
  if (internal) {
    view.review = state.lastReview
    view.mergedCaseIds = record.mergedCaseIds
  }
  return view
}

export function timelineEntryView(entry: TimelineEntry): z.infer<typeof TimelineEntryView> {
  return { ...entry, revision: entry.revision.toString(), position: entry.position.toString() }
}

/** The same test as the list's `overdue` filter (`runningClockOverdue`), on the clocks of one case. */
function isOverdue(sla: SlaClocks): boolean {
  return [sla.response, sla.update, sla.resolution].some((clock) => clock.running && clock.overdue)
}

/** The state a history replay answers: the domain's own, as JSON. */
export const CaseStateView = z.looseObject({ id: Uuid, status: CaseStatus }).describe('The case state (domain CaseState)')

export function stateView(state: ActiveCaseState, reporter: z.infer<typeof ReporterView> | null): z.infer<typeof CaseStateView> {
  return { ...state, reporter }
}
