/**
 * Disclosures (公示): financial statements, public revenue, major matters and notices, published in versions that
 * owners can verify by hash.
 */
export { disclosureDecider } from './disclosure.decider.js'
export { buildContent, computeTotals, contentHash } from './disclosure.content.js'
export { initialDisclosureState, currentVersion } from './disclosure.state.js'
export type { DisclosureState, DisclosureStatusName, DisclosureVersion, CommitteeReview } from './disclosure.state.js'
export { DISCLOSURE_COMMAND_TYPES, DEFAULT_ADVANCE_NOTICE_DAYS } from './disclosure.commands.js'
export type { DisclosureCommand, DisclosureCommandOf, DisclosureContext } from './disclosure.commands.js'
export { authorizeDisclosureCommand, isDisclosureVisibleTo, DISCLOSURE_COMMAND_ROLES } from './disclosure.access.js'
export type { DisclosureAccessDecision } from './disclosure.access.js'
export { disclosureEventCodec, disclosureStreamId, disclosureIdOf, DISCLOSURE_STREAM_PREFIX } from './disclosure.codec.js'
export { scheduledDisclosures, localDate, MAX_SCHEDULED_PERIODS } from './disclosure.schedule.js'
export type { PublishedPeriodDisclosure } from './disclosure.schedule.js'
export {
  objectionCaseId,
  objectionCaseEventId,
  objectionCaseReport,
  OBJECTION_CASE_ACTOR,
  OBJECTION_CASE_CATEGORY,
  ESTATE_WIDE_BUILDING,
} from './disclosure.objection-case.js'
