import { sql, type Kysely, type RawBuilder } from 'kysely'
import type { CaseKind, CasePriority, CaseStatus } from '@pc/contracts'
import { slaClocks, type SlaClocks } from '@pc/domain'
import type { Database } from '../database.js'

export interface SlaListQuery {
  /** The moment to measure at (ISO); the caller's injectable clock. */
  now: string
  /** Only cases with a running clock past its deadline at `now`. */
  overdueOnly?: boolean
  building?: string
  assigneeId?: string
  /** Default 100, at most 1000. */
  limit?: number
}

export interface SlaListing {
  caseId: string
  status: CaseStatus
  kind: CaseKind
  category: string
  priority: CasePriority
  building: string
  assigneeId: string | null
  escalationLevel: number
  /** The earliest deadline among the running clocks (ISO), null when none runs. */
  nextDueAt: string | null
  /** Each clock with its time left (negative: overdue) at `now`, from the domain's `slaClocks`. */
  clocks: SlaClocks
}

/**
 * The SLA queue: open cases, soonest deadline first, with time left per clock. Deadlines come from the read model;
 * time left is counted on each case's own SLA calendar by the domain's `slaClocks`, so it agrees with the SLA
 * worker and with history replay.
 *
 * @example
 * const overdue = await listSlaClocks(db, { now: clock.now(), overdueOnly: true })
 */
export async function listSlaClocks(db: Kysely<Database>, query: SlaListQuery): Promise<SlaListing[]> {
  const now = new Date(Date.parse(query.now)).toISOString()
  const limit = Math.min(Math.max(query.limit ?? 100, 1), 1000)
  let select = db
    .selectFrom('case_sla')
    .selectAll()
    .where('open', '=', true)
    .orderBy(sql`next_due_at nulls last`)
    .orderBy('case_id')
    .limit(limit)
  if (query.overdueOnly) select = select.where(runningClockOverdue(now))
  if (query.building !== undefined) select = select.where('building', '=', query.building)
  if (query.assigneeId !== undefined) select = select.where('assignee_id', '=', query.assigneeId)
  const rows = await select.execute()
  return rows.map((row) => ({
    caseId: row.case_id,
    status: row.status,
    kind: row.kind,
    category: row.category,
    priority: row.priority,
    building: row.building,
    assigneeId: row.assignee_id,
    escalationLevel: row.escalation_level,
    nextDueAt: row.next_due_at?.toISOString() ?? null,
    clocks: slaClocks(row.state, now),
  }))
}

/**
 * True for a row with a running SLA clock past its deadline at `now` (ISO): the same test as `slaClocks`' `running &&
 * overdue`, in SQL. Works on `case_sla` and `case_list`, which name the clock columns alike; the update clock's
 * deadline is null whenever that clock is not running. Never null itself, so `not` of it is the complement.
 *
 * @example
 * db.selectFrom('case_list').selectAll().where(runningClockOverdue(now))
 */
export function runningClockOverdue(now: string): RawBuilder<boolean> {
  return sql<boolean>`((response_running and response_due_at < ${now})
    or (update_due_at is not null and update_due_at < ${now})
    or (resolution_running and resolution_due_at < ${now}))`
}
