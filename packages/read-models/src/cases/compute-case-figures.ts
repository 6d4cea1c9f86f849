import { CaseKind, CaseStatus } from '@pc/contracts'
import type { RecordedEvent } from '@pc/event-store'
import { foldFigureFacts, type CaseFigureEntry, type CaseFigureFacts } from './case-figures.facts.js'
import { FIGURES_DIMENSIONS, sortGroups, type CaseFiguresGroup, type CaseFiguresQuery } from './case-figures.queries.js'

/**
 * The case figures computed straight from raw events, with no database: what `queryCaseFigures` must answer over
 * the read model (issue 4: figures recomputed from history equal the live ones). Give it every event of the case
 * streams in order (`store.readAll({ filter: { streamPrefix: ['case-'] } })`).
 *
 * @example
 * const events = []
 * for await (const e of store.readAll({ filter: CASE_STREAMS })) events.push(e)
 * const figures = computeCaseFigures(events, { groupBy: ['month'] })
 */
export function computeCaseFigures(
  events: Iterable<Pick<RecordedEvent, 'streamId' | 'type' | 'schemaVersion' | 'data'>>,
  query: CaseFiguresQuery = {},
): CaseFiguresGroup[] {
  const entries = new Map<string, CaseFigureEntry>()
  foldFigureFacts(entries, events)
  const dims = FIGURES_DIMENSIONS.filter((d) => query.groupBy?.includes(d))
  const groups = new Map<string, CaseFigureFacts[]>()
  for (const { facts } of entries.values()) {
    if (query.from !== undefined && facts.month < query.from) continue
    if (query.to !== undefined && facts.month > query.to) continue
    const key = JSON.stringify(dims.map((d) => facts[d]))
    const group = groups.get(key)
    if (group) group.push(facts)
    else groups.set(key, [facts])
  }
  return sortGroups(
    [...groups.values()].map((cases) => {
      const first = cases[0]!
      return {
        month: dims.includes('month') ? first.month : null,
        category: dims.includes('category') ? first.category : null,
        building: dims.includes('building') ? first.building : null,
        ...aggregate(cases),
      }
    }),
  )
}

function aggregate(cases: CaseFigureFacts[]): Omit<CaseFiguresGroup, FiguresKey> {
  const count = (test: (c: CaseFigureFacts) => boolean) => cases.filter(test).length
  const sum = (value: (c: CaseFigureFacts) => number) => cases.reduce((total, c) => total + value(c), 0)
  const ratio = (a: number, b: number) => (b === 0 ? null : a / b)
  const responses = cases.map((c) => c.firstResponseMinutes).filter((m): m is number => m !== null)
  const resolutions = cases.map((c) => c.resolutionMinutes).filter((m): m is number => m !== null)
  const decided = count((c) => c.responseMet !== null) + count((c) => c.resolutionMet !== null)
  const met = count((c) => c.responseMet === true) + count((c) => c.resolutionMet === true)
  const resolved = count((c) => c.resolvedCount > 0)
  return {
    cases: cases.length,
    byKind: Object.fromEntries(CaseKind.options.map((k) => [k, count((c) => c.kind === k)])) as Record<CaseKind, number>,
    byStatus: Object.fromEntries(CaseStatus.options.map((s) => [s, count((c) => c.status === s)])) as Record<CaseStatus, number>,
    firstResponseMinutes: { median: percentileCont(responses, 0.5), p90: percentileCont(responses, 0.9) },
    resolutionMinutes: { median: percentileCont(resolutions, 0.5), p90: percentileCont(resolutions, 0.9) },
    slaTargetsMet: ratio(met, decided),
    averageSatisfaction: ratio(sum((c) => c.ratingSum), sum((c) => c.ratingCount)),
    reopenRate: ratio(sum((c) => c.reopenCount), sum((c) => c.resolvedCount)),
    firstTimeFixRate: ratio(count((c) => c.resolvedCount > 0 && c.reopenCount === 0), resolved),
  }
}

type FiguresKey = 'month' | 'category' | 'building'

/** PostgreSQL's `percentile_cont`: linear interpolation at (n − 1)·p of the sorted values. */
export function percentileCont(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const position = (sorted.length - 1) * p
  const lower = Math.floor(position)
  const upper = Math.ceil(position)
  const low = sorted[lower]!
  if (lower === upper) return low
  return low + (sorted[upper]! - low) * (position - lower)
}
