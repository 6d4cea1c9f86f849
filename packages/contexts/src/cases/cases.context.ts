import { CaseEventTypes } from '@pc/contracts'
import { CASE_STREAM_PREFIX, caseDecider, caseEventCodec, DEFAULT_SLA_POLICY } from '@pc/domain'
import { caseProjections } from '@pc/read-models'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { defineContext } from '../context.js'
import type { QueryDeps } from '../kit/query-deps.js'
import { metricsRoutes } from './case-figures.queries.js'
import { caseCommands } from './cases.commands.js'
import { casesRoutes } from './cases.queries.js'
import { slaBreachWatcher } from './sla-breach.watcher.js'
import { slaRoutes } from './sla.queries.js'

const caseQueries: FastifyPluginAsyncZod<QueryDeps> = async (app, deps) => {
  await app.register(casesRoutes, deps)
  await app.register(slaRoutes, deps)
  await app.register(metricsRoutes, deps)
}

/**
 * Cases (投诉/报修/建议/咨询/预警/纠纷): THE CLOSED LOOP warn → respond → resolve → review. The decider lives in
 * `packages/domain/src/cases/`; its read models (list, timeline, SLA clocks, figures) in `packages/read-models`.
 */
export const cases = defineContext({
  name: 'cases',
  description: 'Complaints, repairs, suggestions, inquiries, warnings and disputes: the closed loop, SLA clocks and figures',
  tags: {
    sla: 'SLA clocks: cases whose response or resolution deadline is at risk or breached',
    metrics: 'Figures that evaluate the service: counts, response and resolution times, satisfaction, mediation outcomes',
  },
  streamPrefix: CASE_STREAM_PREFIX,
  eventTypes: Object.keys(CaseEventTypes),
  codec: caseEventCodec,
  decider: caseDecider,
  // The SLA policy in force is written into `CaseReported`, so replay never depends on today's configuration.
  decisionContext: ({ now, newId }) => ({ now, newId, slaPolicy: DEFAULT_SLA_POLICY }),
  commands: caseCommands,
  queries: caseQueries,
  projections: () => [...caseProjections],
  watchers: [slaBreachWatcher],
})
