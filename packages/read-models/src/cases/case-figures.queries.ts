import { sql, type Kysely } from 'kysely'
import { CaseKind, CaseStatus } from '@pc/contracts'
import type { Database } from '../database.js'

/** What figures can be grouped by. */
export type FiguresDimension = 'month' | 'category' | 'building'
export const FIGURES_DIMENSIONS: readonly FiguresDimension[] = ['month', 'category', 'building']

export interface CaseFiguresQuery {
  /** First month included, `YYYY-MM` (China time). */
  from?: string
  /** Last month included, `YYYY-MM`. */
  to?: string
  /** Default: no grouping (one group over everything). */
  groupBy?: readonly FiguresDimension[]
}

export interface Percentiles {
  median: number | null
  p90: number | null
}

/**
 * The figures of one group. Durations are minutes of running time (on hold and merged time excluded); shares and
 * rates are fractions (0.83, not 83 %); null where there is nothing to measure. A dimension not grouped by is null.
 */
export interface CaseFiguresGroup {
  month: string | null
  category: string | null
  building: string | null
  cases: number
  byKind: Record<CaseKind, number>
  byStatus: Record<CaseStatus, number>
  firstResponseMinutes: Percentiles
  resolutionMinutes: Percentiles
  /** Response and resolution targets met, over the targets decided (responded to / resolved). */
  slaTargetsMet: number | null
  /** Mean of every follow-up rating (1–5). */
  averageSatisfaction: number | null
  /** Reopens per resolution. */
  reopenRate: number | null
  /** Of the cases resolved at least once, the share never reopened. */
  firstTimeFixRate: number | null
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/

/**
 * Aggregates the per-case facts of the `case-figures` projection. Medians and 90th percentiles are
 * `percentile_cont` (linear interpolation between the two nearest values), as `computeCaseFigures` does over raw
 * events.
 *
 * @example
 * const groups = await queryCaseFigures(db, { from: '2026-01', to: '2026-03', groupBy: ['month', 'building'] })
 */
export async function queryCaseFigures(db: Kysely<Database>, query: CaseFiguresQuery = {}): Promise<CaseFiguresGroup[]> {
  const dims = FIGURES_DIMENSIONS.filter((d) => query.groupBy?.includes(d))
  for (const month of [query.from, query.to]) {
    if (month !== undefined && !MONTH.test(month)) throw new RangeError(`not a YYYY-MM month: ${month}`)
  }
  const kinds = CaseKind.options.map((k) => sql`count(*) filter (where kind = ${k})::int as ${sql.ref(`kind_${k}`)}`)
  const statuses = CaseStatus.options.map((s) => sql`count(*) filter (where status = ${s})::int as ${sql.ref(`status_${s}`)}`)
  const where = [
    query.from === undefined ? sql`true` : sql`month >= ${query.from}`,
    query.to === undefined ? sql`true` : sql`month <= ${query.to}`,
  ]
  const dimColumns = dims.map((d) => sql.ref(d))
  const { rows } = await sql<Record<string, unknown>>`
    select ${sql.join([...dimColumns, sql`count(*)::int as cases`, ...kinds, ...statuses], sql`, `)},
      percentile_cont(0.5) within group (order by first_response_minutes) as response_median,
      percentile_cont(0.9) within group (order by first_response_minutes) as response_p90,
      percentile_cont(0.5) within group (order by resolution_minutes) as resolution_median,
      percentile_cont(0.9) within group (order by resolution_minutes) as resolution_p90,
      (count(*) filter (where response_met) + count(*) filter (where resolution_met))::float8
        / nullif(count(response_met) + count(resolution_met), 0) as sla_met,
      sum(rating_sum)::float8 / nullif(sum(rating_count), 0) as satisfaction,
      sum(reopen_count)::float8 / nullif(sum(resolved_count), 0) as reopen_rate,
      (count(*) filter (where resolved_count > 0 and reopen_count = 0))::float8
        / nullif(count(*) filter (where resolved_count > 0), 0) as first_time_fix
    from case_figures_cases
    where ${sql.join(where, sql` and `)}
    ${dims.length > 0 ? sql`group by ${sql.join(dimColumns, sql`, `)}` : sql``}`.execute(db)
  const groups = rows
    .filter((r) => (r['cases'] as number) > 0)
    .map(
      (r): CaseFiguresGroup => ({
        month: dims.includes('month') ? (r['month'] as string) : null,
        category: dims.includes('category') ? (r['category'] as string) : null,
        building: dims.includes('building') ? (r['building'] as string) : null,
        cases: r['cases'] as number,
        byKind: Object.fromEntries(CaseKind.options.map((k) => [k, r[`kind_${k}`] as number])) as Record<CaseKind, number>,
        byStatus: Object.fromEntries(CaseStatus.options.map((s) => [s, r[`status_${s}`] as number])) as Record<CaseStatus, number>,
        firstResponseMinutes: { median: num(r['response_median']), p90: num(r['response_p90']) },
        resolutionMinutes: { median: num(r['resolution_median']), p90: num(r['resolution_p90']) },
        slaTargetsMet: num(r['sla_met']),
        averageSatisfaction: num(r['satisfaction']),
        reopenRate: num(r['reopen_rate']),
        firstTimeFixRate: num(r['first_time_fix']),
      }),
    )
  return sortGroups(groups)
}

function num(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value)
}

/** A stable order independent of the database's collation: month, category, building by code point. */
export function sortGroups(groups: CaseFiguresGroup[]): CaseFiguresGroup[] {
  const key = (g: CaseFiguresGroup) => [g.month ?? '', g.category ?? '', g.building ?? '']
  return groups.sort((a, b) => {
    const ka = key(a)
    const kb = key(b)
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1
    return 0
  })
}
