import type { MediationFigures } from '@pc/contracts'
import { sql, type Kysely } from 'kysely'
import type { Database } from '../database.js'
import type { StoredMediationView } from './mediation.tables.js'

export interface MediationRecord {
  view: StoredMediationView
  revision: bigint
  position: bigint
}

/**
 * A dispute's current mediation (its latest), or null when it was never mediated.
 *
 * @example
 * const found = await findMediation(db, caseId)
 */
export async function findMediation(db: Kysely<Database>, caseId: string): Promise<MediationRecord | null> {
  const row = await db
    .selectFrom('case_mediation')
    .select(['view', 'revision', 'position'])
    .where('case_id', '=', caseId)
    .orderBy('opened_at', 'desc')
    .limit(1)
    .executeTakeFirst()
  return row ? { view: row.view, revision: BigInt(row.revision), position: BigInt(row.position) } : null
}

/**
 * Disputes whose open mediation is past its deadline and not yet recorded so (the SLA worker's deadline watcher).
 *
 * @example
 * for (const caseId of await mediationsPastDeadline(db, new Date(), 100)) { … }
 */
export async function mediationsPastDeadline(db: Kysely<Database>, now: Date, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('case_mediation')
    .select('case_id')
    .where('status', '=', 'open')
    .where('deadline_passed', '=', false)
    .where('deadline_at', '<=', now)
    .orderBy('deadline_at')
    .limit(limit)
    .execute()
  return rows.map((row) => row.case_id)
}

/** Disputes with a term of their agreement past due, not found fulfilled, and not yet recorded overdue. */
export async function casesWithOverdueTerms(db: Kysely<Database>, now: Date, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('case_mediation_terms')
    .select('case_id')
    .where((eb) => eb.or([eb('fulfilled', 'is', null), eb('fulfilled', '=', false)]))
    .where('overdue_recorded', '=', false)
    .where('due_at', '<=', now)
    .groupBy('case_id')
    .orderBy(sql`min(due_at)`)
    .limit(limit)
    .execute()
  return rows.map((row) => row.case_id)
}

export interface MediationFiguresQuery {
  /** Mediations opened at or after this moment. */
  from?: string
  /** Mediations opened before this moment. */
  to?: string
}

/**
 * Mediation figures: how many mediations are open and concluded, concluded ones by outcome, and the median days
 * from opening to conclusion. Aggregates only — no ids, no people.
 *
 * @example
 * const figures = await queryMediationFigures(db, { from: '2026-01-01T00:00:00+08:00' })
 */
export async function queryMediationFigures(db: Kysely<Database>, query: MediationFiguresQuery = {}): Promise<MediationFigures> {
  let select = db
    .selectFrom('case_mediation')
    .select(['outcome', sql<string>`count(*)`.as('count')])
    .groupBy('outcome')
  if (query.from !== undefined) select = select.where('opened_at', '>=', new Date(query.from))
  if (query.to !== undefined) select = select.where('opened_at', '<', new Date(query.to))
  const groups = await select.execute()
  const byOutcome = { agreement: 0, no_agreement: 0, withdrawn: 0, referred: 0 }
  let open = 0
  for (const group of groups) {
    if (group.outcome === null) open = Number(group.count)
    else byOutcome[group.outcome] = Number(group.count)
  }
  const concluded = Object.values(byOutcome).reduce((a, b) => a + b, 0)
  let median = db
    .selectFrom('case_mediation')
    .select(sql<number | null>`percentile_cont(0.5) within group (order by days_to_conclusion)`.as('median'))
    .where('status', '=', 'concluded')
  if (query.from !== undefined) median = median.where('opened_at', '>=', new Date(query.from))
  if (query.to !== undefined) median = median.where('opened_at', '<', new Date(query.to))
  const row = await median.executeTakeFirst()
  return { open, concluded, byOutcome, medianDaysToConclusion: row?.median ?? null }
}
