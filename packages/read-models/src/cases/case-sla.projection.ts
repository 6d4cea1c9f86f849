import type { Insertable, Transaction } from 'kysely'
import { isOpen, type ActiveCaseState } from '@pc/domain'
import type { Database } from '../database.js'
import type { Projection } from '../projection.js'
import { CASE_STREAMS, caseIdOf, foldCases, storedState, type FoldedCase } from './case-events.js'
import type { CaseSlaTable } from './case.tables.js'
import { chunks, replaceAll } from './upsert.js'

export const CASE_SLA_PROJECTION = 'case-sla'

/**
 * SLA clocks per case (`GET /v1/sla/overdue`): the deadlines and flags the events set, folded with the domain's
 * `evolve`. Time left depends on "now", so it is not stored: `listSlaClocks` computes it at query time with the
 * domain's `slaClocks`, the same function the SLA worker and history replay use. Every case keeps a row (a closed
 * case can be reopened); `open` marks the SLA queue.
 */
export const caseSlaProjection: Projection = {
  name: CASE_SLA_PROJECTION,
  // 2: the stored state counts public notes apart (`publicNoteCount`).
  version: 2,
  tables: ['case_sla'],
  filter: CASE_STREAMS,
  async handle(trx, events) {
    const folded = foldCases(await loadStates(trx, [...new Set(events.map((e) => caseIdOf(e.streamId)))]), events)
    const rows = [...folded.values()].map(caseSlaRow)
    for (const chunk of chunks(rows, 1000)) {
      await trx
        .insertInto('case_sla')
        .values(chunk)
        .onConflict((oc) => oc.column('case_id').doUpdateSet(replaceAll(chunk[0]!, 'case_id')))
        .execute()
    }
  },
}

async function loadStates(trx: Transaction<Database>, caseIds: string[]): Promise<Map<string, ActiveCaseState>> {
  if (caseIds.length === 0) return new Map()
  const rows = await trx.selectFrom('case_sla').select(['case_id', 'state']).where('case_id', 'in', caseIds).execute()
  return new Map(rows.map((r) => [r.case_id, r.state]))
}

export function caseSlaRow({ state }: FoldedCase): Insertable<CaseSlaTable> {
  const { sla } = state
  const responseRunning = sla.response.respondedAt === null && sla.response.stoppedAt === null
  const resolutionRunning = sla.resolution.stoppedAt === null
  const running = [
    responseRunning ? sla.response.dueAt : null,
    sla.update.dueAt,
    resolutionRunning ? sla.resolution.dueAt : null,
  ].filter((d): d is string => d !== null)
  const ms = (iso: string) => Date.parse(iso)
  return {
    case_id: state.id,
    status: state.status,
    open: isOpen(state),
    kind: state.kind,
    category: state.category,
    priority: state.priority,
    building: state.location.building,
    assignee_id: state.assigneeId,
    escalation_level: state.escalationLevel,
    policy_id: sla.terms.policyId,
    response_due_at: sla.response.dueAt,
    response_running: responseRunning,
    response_met: sla.response.respondedAt === null ? null : ms(sla.response.respondedAt) <= ms(sla.response.dueAt),
    response_overdue_recorded: sla.response.overdueRecorded,
    update_due_at: sla.update.dueAt,
    update_overdue_recorded: sla.update.overdueRecorded,
    resolution_due_at: sla.resolution.dueAt,
    resolution_running: resolutionRunning,
    resolution_met: sla.resolution.resolvedAt === null ? null : ms(sla.resolution.resolvedAt) <= ms(sla.resolution.dueAt),
    resolution_overdue_recorded: sla.resolution.overdueRecorded,
    next_due_at: running.length === 0 ? null : running.reduce((a, b) => (ms(a) <= ms(b) ? a : b)),
    state: storedState(state),
  }
}
