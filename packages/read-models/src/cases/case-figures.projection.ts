import type { Insertable, Transaction } from 'kysely'
import type { Database } from '../database.js'
import type { Projection } from '../projection.js'
import { CASE_STREAMS, caseIdOf, storedState } from './case-events.js'
import { foldFigureFacts, type CaseFigureEntry, type CaseFigureFacts } from './case-figures.facts.js'
import type { CaseFiguresCasesTable } from './case.tables.js'
import { chunks, replaceAll } from './upsert.js'

export const CASE_FIGURES_PROJECTION = 'case-figures'

/**
 * Case figures per month × category × building (`GET /v1/metrics/cases`). Medians and 90th percentiles cannot be
 * kept up incrementally, so the projection keeps one row of facts per case (`case-figures.facts.ts`) and
 * `queryCaseFigures` aggregates them with `percentile_cont` at query time. Rows hold no personal data: committee
 * members read the figures.
 */
export const caseFiguresProjection: Projection = {
  name: CASE_FIGURES_PROJECTION,
  // 2: the stored state counts public notes apart (`publicNoteCount`).
  version: 2,
  tables: ['case_figures_cases'],
  filter: CASE_STREAMS,
  async handle(trx, events) {
    const entries = await loadEntries(trx, [...new Set(events.map((e) => caseIdOf(e.streamId)))])
    const touched = foldFigureFacts(entries, events)
    const rows = [...touched].map((id) => figuresRow(entries.get(id)!))
    for (const chunk of chunks(rows, 1000)) {
      await trx
        .insertInto('case_figures_cases')
        .values(chunk)
        .onConflict((oc) => oc.column('case_id').doUpdateSet(replaceAll(chunk[0]!, 'case_id')))
        .execute()
    }
  },
}

async function loadEntries(trx: Transaction<Database>, caseIds: string[]): Promise<Map<string, CaseFigureEntry>> {
  if (caseIds.length === 0) return new Map()
  const rows = await trx.selectFrom('case_figures_cases').selectAll().where('case_id', 'in', caseIds).execute()
  return new Map(
    rows.map((r) => [
      r.case_id,
      {
        state: r.state,
        facts: {
          caseId: r.case_id,
          month: r.month,
          category: r.category,
          building: r.building,
          kind: r.kind,
          status: r.status,
          reportedAt: r.reported_at.toISOString(),
          clockStartedAt: r.clock_started_at?.toISOString() ?? null,
          clockMs: r.clock_ms,
          firstResponseMinutes: r.first_response_minutes,
          resolutionMinutes: r.resolution_minutes,
          responseMet: r.response_met,
          resolutionMet: r.resolution_met,
          resolvedCount: r.resolved_count,
          reopenCount: r.reopen_count,
          ratingSum: r.rating_sum,
          ratingCount: r.rating_count,
        } satisfies CaseFigureFacts,
      },
    ]),
  )
}

function figuresRow({ state, facts: f }: CaseFigureEntry): Insertable<CaseFiguresCasesTable> {
  return {
    case_id: f.caseId,
    month: f.month,
    category: f.category,
    building: f.building,
    kind: f.kind,
    status: f.status,
    reported_at: f.reportedAt,
    clock_started_at: f.clockStartedAt,
    clock_ms: f.clockMs,
    first_response_minutes: f.firstResponseMinutes,
    resolution_minutes: f.resolutionMinutes,
    response_met: f.responseMet,
    resolution_met: f.resolutionMet,
    resolved_count: f.resolvedCount,
    reopen_count: f.reopenCount,
    rating_sum: f.ratingSum,
    rating_count: f.ratingCount,
    state: storedState(state),
  }
}
