import type { Insertable } from 'kysely'
import { isMediationEvent, type CaseEvent, type NoteVisibility } from '@pc/contracts'
import { assertNever } from '@pc/domain'
import type { DeliveredEvent } from '@pc/event-store'
import type { Projection } from '../projection.js'
import { describeMediationEvent } from '../mediation/mediation-timeline.js'
import { CASE_STREAMS, caseIdOf, decodeCaseEvent, occurredAt } from './case-events.js'
import type { CaseTimelineTable } from './case.tables.js'
import { chunks } from './upsert.js'

export const CASE_TIMELINE_PROJECTION = 'case-timeline'

/**
 * A case's timeline (`GET /v1/cases/:id/timeline`): one entry per event with its time, type, actor, a short human
 * summary and whether a resident may see it. Residents see `public` entries only; escalations, reviews, links,
 * SLA breaches and internal notes are `internal`. A dispute's mediation events are described by the mediation
 * read model (`mediation/mediation-timeline.ts`); events of unknown types are listed as `internal`.
 */
export const caseTimelineProjection: Projection = {
  name: CASE_TIMELINE_PROJECTION,
  version: 1,
  tables: ['case_timeline'],
  filter: CASE_STREAMS,
  async handle(trx, events) {
    for (const chunk of chunks(events.map(timelineRow), 2000)) await trx.insertInto('case_timeline').values(chunk).execute()
  },
}

export function timelineRow(event: DeliveredEvent): Insertable<CaseTimelineTable> {
  const decoded = decodeCaseEvent(event)
  const entry = !decoded
    ? { summary: humanize(event.type), visibility: 'internal' as const, detail: null }
    : isMediationEvent(decoded)
      ? describeMediationEvent(decoded)
      : describe(decoded)
  return {
    case_id: caseIdOf(event.streamId),
    revision: event.revision,
    event_id: event.eventId,
    position: event.position,
    type: event.type,
    at: occurredAt(event, decoded),
    actor_id: event.metadata.actor.id,
    actor_roles: [...event.metadata.actor.roles],
    visibility: entry.visibility,
    summary: entry.summary,
    detail: entry.detail,
  }
}

interface Entry {
  summary: string
  visibility: NoteVisibility
  detail: string | null
}

const pub = (summary: string, detail: string | null = null): Entry => ({ summary, visibility: 'public', detail })
const internal = (summary: string, detail: string | null = null): Entry => ({ summary, visibility: 'internal', detail })
const words = (s: string) => s.replaceAll('_', ' ')

/** The sentence a person reads for each case event. */
export function describe(event: CaseEvent): Entry {
  switch (event.type) {
    case 'CaseReported': {
      const d = event.data
      return pub(`Reported ${d.kind} "${d.title}" (${d.category}, ${d.priority} priority) via ${words(d.channel)}`, d.description)
    }
    case 'CaseAcknowledged':
      return pub('Acknowledged', event.data.note)
    case 'CaseAssigned': {
      const { assigneeId, team, previousAssigneeId } = event.data
      const to = `${assigneeId}${team ? ` (${team})` : ''}`
      return pub(previousAssigneeId ? `Reassigned from ${previousAssigneeId} to ${to}` : `Assigned to ${to}`)
    }
    case 'CaseOnHold':
      return pub('Put on hold', event.data.reason)
    case 'CaseResumed':
      return pub('Work resumed')
    case 'CaseNoteAdded':
      return event.data.visibility === 'public'
        ? pub('Progress note', event.data.body)
        : internal('Internal note', event.data.body)
    case 'CaseEscalated': {
      const { level, source, clock, reason } = event.data
      return internal(`Escalated to level ${level}${source === 'sla' && clock ? ` (SLA ${clock} target missed)` : ''}`, reason)
    }
    case 'CaseResolved':
      return pub('Resolved', event.data.resolution)
    case 'CaseFollowedUp': {
      const { method, rating, comment, reopens } = event.data
      return pub(`Follow-up visit by ${method}: rated ${rating} of 5${reopens ? ', not satisfied' : ''}`, comment)
    }
    case 'CaseReopened':
      return pub(`Reopened${event.data.reopenCount > 1 ? ` (${event.data.reopenCount} times)` : ''}`, event.data.reason)
    case 'CaseReviewed':
      return internal(`Reviewed${event.data.typical ? ', marked as a typical case' : ''}`, event.data.rootCause)
    case 'CaseClosed':
      return pub('Closed')
    case 'CaseWithdrawn':
      return pub('Withdrawn', event.data.reason)
    case 'CaseLinked':
      return internal(`Linked to case ${event.data.linkedCaseId}`)
    case 'CaseUnlinked':
      return internal(`Unlinked from case ${event.data.linkedCaseId}`)
    case 'CaseMerged':
      return pub(`Merged into case ${event.data.intoCaseId}`)
    case 'CaseUnmerged':
      return pub(`Separated again from case ${event.data.fromCaseId}`)
    case 'ResponseOverdue':
      return internal(`First response overdue (was due ${event.data.dueAt})`)
    case 'UpdateOverdue':
      return internal(`Progress update overdue (was due ${event.data.dueAt})`)
    case 'ResolutionOverdue':
      return internal(`Resolution overdue (was due ${event.data.dueAt})`)
    default:
      return assertNever(event)
  }
}

/** `MediationOpened` → `Mediation opened`. */
function humanize(type: string): string {
  const spaced = type.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase()
  return spaced.charAt(0).toUpperCase() + spaced.slice(1)
}
