export { mediationProjection, MEDIATION_PROJECTION } from './mediation.projection.js'
export { evolveMediationView } from './mediation-view.js'
export { describeMediationEvent } from './mediation-timeline.js'
export {
  findMediation,
  mediationsPastDeadline,
  casesWithOverdueTerms,
  queryMediationFigures,
  type MediationRecord,
  type MediationFiguresQuery,
} from './mediation.queries.js'
export type { MediationDatabase, CaseMediationTable, CaseMediationTermsTable, StoredMediationView } from './mediation.tables.js'
