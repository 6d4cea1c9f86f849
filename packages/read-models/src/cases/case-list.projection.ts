import type { Insertable, Transaction } from 'kysely'
import { requiresReview, type ActiveCaseState } from '@pc/domain'
import type { Database } from '../database.js'
import type { Projection } from '../projection.js'
import { CASE_STREAMS, caseIdOf, foldCases, storedState, type FoldedCase } from './case-events.js'
import type { CaseListTable } from './case.tables.js'
import { chunks, replaceAll } from './upsert.js'

export const CASE_LIST_PROJECTION = 'case-list'

/**
 * The staff queue and the case detail (`GET /v1/cases`, `GET /v1/cases/:id`): one row per case with the columns
 * the queue filters and sorts on, and the folded state for everything else.
 *
 * Per batch: read the touched cases' states, fold the batch with the domain's `evolve`, write each touched case
 * once. The cases merged into X are `where merged_into_case_id = X` (not kept on X's row: X's stream never hears
 * of the merge, and a second copy could drift).
 */
export const caseListProjection: Projection = {
  name: CASE_LIST_PROJECTION,
  // 2: the stored state counts public notes apart (`publicNoteCount`).
  version: 2,
  tables: ['case_list'],
  filter: CASE_STREAMS,
  async handle(trx, events) {
    const folded = foldCases(await loadStates(trx, [...new Set(events.map((e) => caseIdOf(e.streamId)))]), events)
    const rows = [...folded.values()].map(caseListRow)
    for (const chunk of chunks(rows, 1000)) {
      await trx
        .insertInto('case_list')
        .values(chunk)
        .onConflict((oc) => oc.column('case_id').doUpdateSet(replaceAll(chunk[0]!, 'case_id')))
        .execute()
    }
  },
}

async function loadStates(trx: Transaction<Database>, caseIds: string[]): Promise<Map<string, ActiveCaseState>> {
  if (caseIds.length === 0) return new Map()
  const rows = await trx.selectFrom('case_list').select(['case_id', 'state']).where('case_id', 'in', caseIds).execute()
  return new Map(rows.map((r) => [r.case_id, r.state]))
}

export function caseListRow({ state, last, lastAt }: FoldedCase): Insertable<CaseListTable> {
  const { sla } = state
  return {
    case_id: state.id,
    revision: last.revision,
    position: last.position,
    status: state.status,
    kind: state.kind,
    category: state.category,
    channel: state.channel,
    priority: state.priority,
    title: state.title,
    building: state.location.building,
    unit: state.location.unit ?? null,
    area: state.location.area ?? null,
    reporter_id: state.reporterId,
    reported_by: state.reportedBy,
    assignee_id: state.assigneeId,
    team: state.team,
    escalation_level: state.escalationLevel,
    reopen_count: state.reopenCount,
    note_count: state.noteCount,
    review_required: requiresReview(state),
    reviewed: state.reviewed,
    rating: state.followUp?.rating ?? null,
    response_due_at: sla.response.dueAt,
    responded_at: sla.response.respondedAt,
    response_running: sla.response.respondedAt === null && sla.response.stoppedAt === null,
    update_due_at: sla.update.dueAt,
    resolution_due_at: sla.resolution.dueAt,
    resolution_running: sla.resolution.stoppedAt === null,
    resolved_at: sla.resolution.resolvedAt,
    response_overdue: sla.response.overdueRecorded,
    update_overdue: sla.update.overdueRecorded,
    resolution_overdue: sla.resolution.overdueRecorded,
    linked_case_ids: [...state.links],
    merged_into_case_id: state.status === 'merged' ? state.merge.intoCaseId : null,
    reported_at: state.reportedAt,
    closed_at: state.status === 'closed' ? state.closedAt : null,
    updated_at: lastAt,
    state: storedState(state),
  }
}
