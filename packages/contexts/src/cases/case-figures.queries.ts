import { CaseKind, CaseStatus } from '@pc/contracts'
import { requireRoles } from '@pc/platform'
import { CASE_FIGURES_PROJECTION, FIGURES_DIMENSIONS, queryCaseFigures } from '@pc/read-models'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { QueryDeps } from '../kit/query-deps.js'
import { readAt, WaitForQuery } from '../kit/read-your-writes.js'

const Month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month YYYY-MM')
const Dimension = z.enum(FIGURES_DIMENSIONS as ['month', 'category', 'building'])

const FiguresQuery = WaitForQuery.extend({
  from: Month.optional().describe('First month included (China time)'),
  to: Month.optional().describe('Last month included'),
  groupBy: z
    .string()
    .transform((s) => [...new Set(s.split(',').map((v) => v.trim()).filter((v) => v !== ''))])
    .pipe(z.array(Dimension))
    .optional()
    .describe('month, category and/or building, comma-separated; none: one group over everything'),
}).superRefine((query, ctx) => {
  if (query.from !== undefined && query.to !== undefined && query.from > query.to) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from' })
  }
})

const Percentiles = z.object({ median: z.number().nullable(), p90: z.number().nullable() })
const counts = <T extends z.ZodEnum>(values: T) =>
  z.object(Object.fromEntries(values.options.map((v) => [v, z.number().int()])) as Record<z.infer<T>, z.ZodNumber>)

const FiguresGroup = z.object({
  month: z.string().nullable(),
  category: z.string().nullable(),
  building: z.string().nullable(),
  cases: z.number().int(),
  byKind: counts(CaseKind),
  byStatus: counts(CaseStatus),
  firstResponseMinutes: Percentiles.describe('Running minutes, time on hold excluded'),
  resolutionMinutes: Percentiles,
  slaTargetsMet: z.number().nullable().describe('Share (0–1) of response and resolution targets met'),
  averageSatisfaction: z.number().nullable(),
  reopenRate: z.number().nullable().describe('Reopens per resolution'),
  firstTimeFixRate: z.number().nullable().describe('Share of resolved cases never reopened'),
})

const PROJECTIONS = [CASE_FIGURES_PROJECTION]

/**
 * `GET /v1/metrics/cases?from=&to=&groupBy=` (DESIGN §5): case figures per month × category × building. Aggregates
 * only — no case ids, no people — which is why owners' committee members may read them next to managers and
 * auditors.
 */
export const metricsRoutes: FastifyPluginAsyncZod<QueryDeps> = async (app, deps) => {
  app.get(
    '/metrics/cases',
    {
      preValidation: requireRoles('manager', 'committee', 'auditor'),
      schema: {
        tags: ['metrics'],
        operationId: 'getCaseFigures',
        summary: 'Case figures: counts, response and resolution times, SLA, satisfaction, reopens',
        querystring: FiguresQuery,
        response: {
          200: z.object({
            from: z.string().nullable(),
            to: z.string().nullable(),
            groupBy: z.array(Dimension),
            groups: z.array(FiguresGroup),
          }),
        },
      },
    },
    async (request, reply) => {
      const { waitFor, from, to, groupBy = [] } = request.query
      await readAt(deps, reply, { projections: PROJECTIONS, waitFor })
      const groups = await queryCaseFigures(deps.db, { ...(from && { from }), ...(to && { to }), groupBy })
      return { from: from ?? null, to: to ?? null, groupBy, groups }
    },
  )
}
