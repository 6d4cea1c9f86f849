import { MediationEventTypes } from '@pc/contracts'
import { CASE_STREAM_PREFIX, caseEventCodec, DEFAULT_SLA_POLICY, mediationDecider } from '@pc/domain'
import { mediationProjection } from '@pc/read-models'
import { defineContext } from '../context.js'
import { mediationCommands } from './mediation.commands.js'
import { mediationRoutes } from './mediation.queries.js'
import { fulfilmentOverdueWatcher, mediationDeadlineWatcher } from './mediation.watchers.js'

/**
 * Mediation (调解) of a dispute, inside the dispute's own case stream: one stream is a dispute's whole history.
 * Its decider works on the case state; the case stream's codec reads its events.
 */
export const mediation = defineContext({
  name: 'mediation',
  description: "Mediation of neighbour disputes (调解): sessions, statements, agreement, fulfilment, on the dispute's stream",
  streamPrefix: CASE_STREAM_PREFIX,
  eventTypes: Object.keys(MediationEventTypes),
  codec: caseEventCodec,
  decider: mediationDecider,
  decisionContext: ({ now, newId }) => ({ now, newId, slaPolicy: DEFAULT_SLA_POLICY }),
  commands: mediationCommands,
  queries: mediationRoutes,
  projections: () => [mediationProjection],
  watchers: [mediationDeadlineWatcher, fulfilmentOverdueWatcher],
})
