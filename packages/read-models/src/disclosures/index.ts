/**
 * The disclosure read side (公示): the projection behind `GET /v1/disclosures…` and the queries the query API
 * serves.
 *
 * @example
 * const detail = await getDisclosure(db, id, { withDrafts: actor.roles.includes('manager') })
 */
export { disclosureProjection, DISCLOSURES_PROJECTION } from './disclosure.projection.js'
export {
  listDisclosures,
  getDisclosure,
  getDisclosureVersion,
  listDisclosureComments,
  publishedPeriodDisclosures,
  type Visibility,
} from './disclosure.queries.js'
export type {
  DisclosuresDatabase,
  DisclosureListTable,
  DisclosureVersionsTable,
  DisclosureCommentsTable,
  DisclosureObjectionsTable,
  StoredReview,
} from './disclosure.tables.js'
