import { CaseKind, CasePriority, CaseStatus, IsoDateTime, line, TextLimit, Uuid } from '@pc/contracts'
import { requireRoles } from '@pc/platform'
import { CASE_SLA_PROJECTION, listSlaClocks } from '@pc/read-models'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { SlaClocksView } from './case.views.js'
import type { QueryDeps } from '../kit/query-deps.js'
import { readAt, WaitForQuery } from '../kit/read-your-writes.js'

const OverdueQuery = WaitForQuery.extend({
  building: line(TextLimit.title).optional(),
  assigneeId: line(TextLimit.title).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
})

const OverdueCase = z.object({
  caseId: Uuid,
  status: CaseStatus,
  kind: CaseKind,
  category: z.string(),
  priority: CasePriority,
  building: z.string(),
  assigneeId: z.string().nullable(),
  escalationLevel: z.number().int(),
  nextDueAt: IsoDateTime.nullable().describe('The earliest deadline among the running clocks'),
  clocks: SlaClocksView,
})

const PROJECTIONS = [CASE_SLA_PROJECTION]

/**
 * `GET /v1/sla/overdue` (DESIGN §4, §5): open cases with a running SLA clock past its deadline now, most overdue
 * first, each clock with its time left on the case's own SLA calendar. For the people who act on them: staff and
 * managers, and auditors. No personal data in it.
 */
export const slaRoutes: FastifyPluginAsyncZod<QueryDeps> = async (app, deps) => {
  const { now } = deps
  app.get(
    '/sla/overdue',
    {
      preValidation: requireRoles('staff', 'manager', 'auditor'),
      schema: {
        tags: ['sla'],
        operationId: 'listOverdueCases',
        summary: 'Open cases past an SLA deadline, soonest deadline first',
        querystring: OverdueQuery,
        response: { 200: z.object({ now: IsoDateTime, cases: z.array(OverdueCase) }) },
      },
    },
    async (request, reply) => {
      const { waitFor, ...filters } = request.query
      await readAt(deps, reply, { projections: PROJECTIONS, waitFor })
      const at = now().toISOString()
      return { now: at, cases: await listSlaClocks(deps.db, { ...filters, now: at, overdueOnly: true }) }
    },
  )
}
