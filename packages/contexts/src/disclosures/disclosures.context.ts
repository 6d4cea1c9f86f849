import { DisclosureEventTypes } from '@pc/contracts'
import { DISCLOSURE_STREAM_PREFIX, disclosureDecider, disclosureEventCodec } from '@pc/domain'
import { disclosureProjection } from '@pc/read-models'
import { defineContext } from '../context.js'
import { disclosureCommands } from './disclosures.commands.js'
import { disclosuresRoutes } from './disclosures.queries.js'
import { objectionCaseReactor } from './objection-case.reactor.js'

/**
 * Disclosures (公示): financial and major-matter disclosures that the owners' committee can verify were never
 * altered. An objection opens a complaint case (the reactor).
 */
export const disclosures = defineContext({
  name: 'disclosures',
  description: 'Financial and major-matter disclosures (公示): drafts, versions, corrections, comments, objections, committee review',
  streamPrefix: DISCLOSURE_STREAM_PREFIX,
  eventTypes: Object.keys(DisclosureEventTypes),
  codec: disclosureEventCodec,
  decider: disclosureDecider,
  decisionContext: ({ now, newId, config }) => ({ now, newId, advanceNoticeDays: config.disclosureAdvanceNoticeDays }),
  commands: disclosureCommands,
  queries: disclosuresRoutes,
  projections: () => [disclosureProjection],
  reactors: ({ store }) => [objectionCaseReactor({ store })],
})
