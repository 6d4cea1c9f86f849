import type { Projection } from '../projection.js'
import { caseFiguresProjection } from './case-figures.projection.js'
import { caseListProjection } from './case-list.projection.js'
import { caseSlaProjection } from './case-sla.projection.js'
import { caseTimelineProjection } from './case-timeline.projection.js'

export { CASE_STREAMS, caseIdOf, decodeCaseEvent, occurredAt } from './case-events.js'
export { caseListProjection, CASE_LIST_PROJECTION } from './case-list.projection.js'
export { caseTimelineProjection, CASE_TIMELINE_PROJECTION, describe as describeCaseEvent } from './case-timeline.projection.js'
export { caseSlaProjection, CASE_SLA_PROJECTION } from './case-sla.projection.js'
export { caseFiguresProjection, CASE_FIGURES_PROJECTION } from './case-figures.projection.js'
export { listSlaClocks, runningClockOverdue, type SlaListQuery, type SlaListing } from './case-sla.queries.js'
export {
  listCases,
  findCase,
  type CaseVisibility,
  type CaseVisibilityRule,
  type CaseListCursor,
  type CaseListQuery,
  type CaseListPage,
  type CaseRecord,
  type CaseDetailRecord,
} from './case-list.queries.js'
export { caseTimeline, type TimelineEntry, type TimelineQuery } from './case-timeline.queries.js'
export {
  queryCaseFigures,
  FIGURES_DIMENSIONS,
  type CaseFiguresQuery,
  type CaseFiguresGroup,
  type FiguresDimension,
  type Percentiles,
} from './case-figures.queries.js'
export { computeCaseFigures, percentileCont } from './compute-case-figures.js'
export { monthOf, FIGURES_UTC_OFFSET_MINUTES, type CaseFigureFacts } from './case-figures.facts.js'
export type { CasesDatabase, CaseListTable, CaseTimelineTable, CaseSlaTable, CaseFiguresCasesTable } from './case.tables.js'

/** The case read models, in the order a reader meets them. */
export const caseProjections: readonly Projection[] = Object.freeze([
  caseListProjection,
  caseTimelineProjection,
  caseSlaProjection,
  caseFiguresProjection,
])
