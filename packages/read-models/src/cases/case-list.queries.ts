import { sql, type ExpressionBuilder, type Kysely } from 'kysely'
import type { CaseKind, CasePriority, CaseStatus } from '@pc/contracts'
import type { ActiveCaseState } from '@pc/domain'
import type { Database } from '../database.js'
import { runningClockOverdue } from './case-sla.queries.js'

/**
 * Which cases a reader may see: every case, or the cases matching at least one rule (a resident's own reports, a
 * technician's assignments, a mediator's disputes). An empty list sees nothing. Who gets which rules is the API's
 * access policy; this is only how it is applied, the same way for the list and for one case.
 */
export type CaseVisibility = 'all' | readonly CaseVisibilityRule[]
export type CaseVisibilityRule = { reporterId: string } | { assigneeId: string } | { kind: CaseKind }

/** A place in the queue's order (newest report first, case id descending to break ties). */
export interface CaseListCursor {
  /** `reported_at` exactly as stored (microseconds, UTC), so no row is skipped or repeated at a page boundary. */
  reportedAt: string
  caseId: string
}

export interface CaseListQuery {
  visibleTo: CaseVisibility
  /** Any of these (an empty or absent list: no filter). */
  status?: readonly CaseStatus[]
  kind?: readonly CaseKind[]
  priority?: readonly CasePriority[]
  category?: string
  building?: string
  unit?: string
  assigneeId?: string
  reporterId?: string
  /** `true`: a running SLA clock is past its deadline at `now`; `false`: none is. Needs `now`. */
  overdue?: boolean
  /** ISO moment `overdue` is measured at (the caller's clock). */
  now?: string
  /** Start strictly after this place. */
  after?: CaseListCursor
  /** Default 50, at most 500. */
  limit?: number
}

/** A case as the list and detail views read it: the folded state plus what the projection adds. */
export interface CaseRecord {
  caseId: string
  /** The stream revision of the last event applied (what a client sends as `If-Match`). */
  revision: bigint
  position: bigint
  /** Time of the last event applied. */
  updatedAt: string
  reviewRequired: boolean
  /** The domain's state (the reporter's contact as its envelope). */
  state: ActiveCaseState
}

export interface CaseListPage {
  cases: CaseRecord[]
  /** Where the next page starts; null on the last page. */
  next: CaseListCursor | null
}

export interface CaseDetailRecord extends CaseRecord {
  /** Cases merged into this one, by id. */
  mergedCaseIds: string[]
}

type CaseListExpressions = ExpressionBuilder<Database, 'case_list'>

function visible(eb: CaseListExpressions, visibleTo: CaseVisibility) {
  if (visibleTo === 'all') return eb.lit(true)
  return eb.or(
    visibleTo.map((rule) => {
      if ('reporterId' in rule) return eb('reporter_id', '=', rule.reporterId)
      if ('assigneeId' in rule) return eb('assignee_id', '=', rule.assigneeId)
      return eb('kind', '=', rule.kind)
    }),
  )
}

// Microseconds and an explicit UTC zone: the cursor must round-trip the stored value exactly.
const REPORTED_AT_TEXT = sql<string>`to_char(reported_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`

/**
 * One page of the staff queue, newest report first, filtered and limited to what the reader may see. The order is
 * the `case_list_order_idx` index, and a page starts strictly after the cursor, so walking the pages lists every
 * case once even while new cases arrive (they sort before the first page).
 *
 * @example
 * const page = await listCases(db, { visibleTo: 'all', status: ['reported'], building: 'B2', limit: 20 })
 * const more = page.next && (await listCases(db, { visibleTo: 'all', status: ['reported'], after: page.next }))
 */
export async function listCases(db: Kysely<Database>, query: CaseListQuery): Promise<CaseListPage> {
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 500)
  let select = db
    .selectFrom('case_list')
    .select(['case_id', 'revision', 'position', 'updated_at', 'review_required', 'state'])
    .select(REPORTED_AT_TEXT.as('reported_at_text'))
    .where((eb) => visible(eb, query.visibleTo))
    .orderBy('reported_at', 'desc')
    .orderBy('case_id', 'desc')
    .limit(limit + 1)
  if (query.status?.length) select = select.where('status', 'in', [...query.status])
  if (query.kind?.length) select = select.where('kind', 'in', [...query.kind])
  if (query.priority?.length) select = select.where('priority', 'in', [...query.priority])
  if (query.category !== undefined) select = select.where('category', '=', query.category)
  if (query.building !== undefined) select = select.where('building', '=', query.building)
  if (query.unit !== undefined) select = select.where('unit', '=', query.unit)
  if (query.assigneeId !== undefined) select = select.where('assignee_id', '=', query.assigneeId)
  if (query.reporterId !== undefined) select = select.where('reporter_id', '=', query.reporterId)
  if (query.overdue !== undefined) {
    if (query.now === undefined) throw new TypeError('listCases: `overdue` needs `now`')
    const overdue = runningClockOverdue(query.now)
    select = select.where(query.overdue ? overdue : sql<boolean>`not ${overdue}`)
  }
  if (query.after) {
    const { reportedAt, caseId } = query.after
    // Row comparison: both keys descend, so "after" in the queue is "less than" as a pair.
    select = select.where(sql<boolean>`(reported_at, case_id) < (${reportedAt}::timestamptz, ${caseId}::uuid)`)
  }
  const rows = await select.execute()
  const page = rows.slice(0, limit)
  const last = page.at(-1)
  return {
    cases: page.map(caseRecord),
    next: rows.length > limit && last ? { reportedAt: last.reported_at_text, caseId: last.case_id } : null,
  }
}

/**
 * One case with the ids of the cases merged into it, or null when it does not exist or the reader may not see it
 * (the two look the same to the reader, so a resident learns nothing about other residents' cases).
 *
 * @example
 * const found = await findCase(db, caseId, [{ reporterId: actor.id }])
 * if (!found) throw new NotFoundError('no such case')
 */
export async function findCase(db: Kysely<Database>, caseId: string, visibleTo: CaseVisibility): Promise<CaseDetailRecord | null> {
  const row = await db
    .selectFrom('case_list')
    .select(['case_id', 'revision', 'position', 'updated_at', 'review_required', 'state'])
    .where('case_id', '=', caseId)
    .where((eb) => visible(eb, visibleTo))
    .executeTakeFirst()
  if (!row) return null
  const merged = await db
    .selectFrom('case_list')
    .select('case_id')
    .where('merged_into_case_id', '=', caseId)
    .orderBy('case_id')
    .execute()
  return { ...caseRecord(row), mergedCaseIds: merged.map((m) => m.case_id) }
}

function caseRecord(row: {
  case_id: string
  revision: string
  position: string
  updated_at: Date
  review_required: boolean
  state: ActiveCaseState
}): CaseRecord {
  return {
    caseId: row.case_id,
    revision: BigInt(row.revision),
    position: BigInt(row.position),
    updatedAt: row.updated_at.toISOString(),
    reviewRequired: row.review_required,
    state: row.state,
  }
}
