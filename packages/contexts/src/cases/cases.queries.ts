import { CaseKind, CasePriority, CaseStatus, DecimalString, IsoDateTime, line, TextLimit, Uuid } from '@pc/contracts'
import { NotFoundError } from '@pc/domain'
import { actorOf, ETAG, requireRoles } from '@pc/platform'
import {
  CASE_LIST_PROJECTION,
  CASE_TIMELINE_PROJECTION,
  caseTimeline,
  findCase,
  listCases,
} from '@pc/read-models'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { CursorParam, encodeCursor } from './case-cursor.js'
import { replayCase } from './case-history.js'
import { CASE_READER_ROLES, caseReaderOf, mayContactReporter } from './case-read.access.js'
import {
  CaseDetailView,
  CaseStateView,
  CaseSummaryView,
  TimelineEntryView,
  type ReporterView,
  caseDetailView,
  caseSummaryView,
  stateView,
  timelineEntryView,
} from './case.views.js'
import type { QueryDeps } from '../kit/query-deps.js'
import { showPersonal } from '../kit/personal.js'
import { readAt, WaitForQuery } from '../kit/read-your-writes.js'
import { RawEvent, StreamEventsQuery, streamEventsPage } from '../kit/stream-events.js'

/** `a,b,c` → `['a', 'b', 'c']` (a repeated parameter is not needed: the values never contain commas). */
const commaList = () =>
  z.string().transform((s) => s.split(',').map((v) => v.trim()).filter((v) => v !== ''))

/** A filter value: the shared one-line string (no NUL, no lone surrogate), as long as any name or title. */
const Name = line(TextLimit.title)

const CaseListQuery = WaitForQuery.extend({
  status: commaList().pipe(z.array(CaseStatus).max(20)).optional().describe('One or more, comma-separated'),
  kind: commaList().pipe(z.array(CaseKind).max(20)).optional().describe('One or more, comma-separated'),
  priority: commaList().pipe(z.array(CasePriority).max(20)).optional().describe('One or more, comma-separated'),
  category: Name.optional(),
  building: Name.optional(),
  unit: Name.optional(),
  assigneeId: Name.optional(),
  reporterId: Name.optional(),
  overdue: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .describe('true: a running SLA clock is past its deadline; false: none is'),
  cursor: CursorParam.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
})

const CaseParams = z.object({ id: Uuid })

const HistoryQuery = WaitForQuery.extend({
  asOf: IsoDateTime.optional().describe('The case as it stood at this moment'),
  revision: DecimalString.optional().describe('The case right after the event at this revision'),
}).superRefine((query, ctx) => {
  if ((query.asOf === undefined) === (query.revision === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: [query.asOf === undefined ? 'asOf' : 'revision'],
      message: 'give exactly one of asOf and revision',
    })
  }
})

const LIST = [CASE_LIST_PROJECTION]
const TIMELINE = [CASE_LIST_PROJECTION, CASE_TIMELINE_PROJECTION]

/**
 * Case queries (DESIGN §5, issue 4):
 * - `GET /v1/cases` — the queue: filters, newest first, opaque cursor;
 * - `GET /v1/cases/:id`, `…/timeline` — from the read models; residents see their own cases and public entries;
 * - `GET /v1/cases/:id/history?asOf=|revision=` — the state folded from the event store (staff, managers, auditors);
 * - `GET /v1/cases/:id/events` — the raw stored events with their hashes (auditors, managers).
 * Who sees which case is `caseReaderOf`; a case the reader may not see is a 404, never a 403. Every route takes
 * `waitFor` and answers `X-Projection-Position` (`readAt`). History and events read the event store, so `waitFor`
 * there only waits for the event to be stored, and the header reports the case list's position.
 */
export const casesRoutes: FastifyPluginAsyncZod<QueryDeps> = async (app, deps) => {
  const { now } = deps
  const tags = ['cases']
  const readers = requireRoles(...CASE_READER_ROLES)
  const read = (reply: Parameters<typeof readAt>[1], projections: readonly string[], waitFor: string | undefined) =>
    readAt(deps, reply, { projections, reportPositionOf: projections.length > 0 ? projections : LIST, waitFor })
  const notFound = (id: string) => new NotFoundError(`no case ${id}`)

  app.get(
    '/cases',
    {
      preValidation: readers,
      schema: {
        tags,
        operationId: 'listCases',
        summary: 'The case queue, newest first, filtered to what the caller may see',
        querystring: CaseListQuery,
        response: { 200: z.object({ cases: z.array(CaseSummaryView), nextCursor: z.string().nullable() }) },
      },
    },
    async (request, reply) => {
      const { waitFor, cursor, limit, ...filters } = request.query
      await read(reply, LIST, waitFor)
      const reader = caseReaderOf(actorOf(request))
      const at = now().toISOString()
      const page = await listCases(deps.db, { ...filters, visibleTo: reader.visibleTo, now: at, after: cursor, limit })
      return {
        cases: page.cases.map((record) => caseSummaryView(record, at, reader.seesInternal(record.state))),
        nextCursor: page.next && encodeCursor(page.next),
      }
    },
  )

  app.get(
    '/cases/:id',
    {
      preValidation: readers,
      schema: {
        operationId: 'getCase',
        tags,
        summary: 'One case',
        params: CaseParams,
        querystring: WaitForQuery,
        response: { 200: CaseDetailView },
        responseHeaders: { ETag: ETAG },
      },
    },
    async (request, reply) => {
      await read(reply, LIST, request.query.waitFor)
      const actor = actorOf(request)
      const reader = caseReaderOf(actor)
      const found = await findCase(deps.db, request.params.id, reader.visibleTo)
      if (!found) throw notFound(request.params.id)
      const [reporter] = await showPersonal(deps.vault, [{ sealed: found.state.reporter, clear: mayContactReporter(actor, found.state) }])
      void reply.header('etag', `"${found.revision}"`)
      return caseDetailView(found, now().toISOString(), reader.seesInternal(found.state), reporter as ReporterView | null)
    },
  )

  app.get(
    '/cases/:id/timeline',
    {
      preValidation: readers,
      schema: {
        tags,
        operationId: 'getCaseTimeline',
        summary: "A case's timeline, one entry per event (residents: public entries only)",
        params: CaseParams,
        querystring: WaitForQuery,
        response: { 200: z.object({ caseId: Uuid, entries: z.array(TimelineEntryView) }) },
      },
    },
    async (request, reply) => {
      await read(reply, TIMELINE, request.query.waitFor)
      const reader = caseReaderOf(actorOf(request))
      const found = await findCase(deps.db, request.params.id, reader.visibleTo)
      if (!found) throw notFound(request.params.id)
      const entries = await caseTimeline(deps.db, found.caseId, { publicOnly: !reader.seesInternal(found.state) })
      return { caseId: found.caseId, entries: entries.map(timelineEntryView) }
    },
  )

  app.get(
    '/cases/:id/history',
    {
      preValidation: requireRoles('staff', 'manager', 'auditor'),
      schema: {
        tags,
        operationId: 'getCaseHistory',
        summary: 'The case as it stood at a moment or a revision, folded from the event store',
        params: CaseParams,
        querystring: HistoryQuery,
        response: {
          200: z.object({
            caseId: Uuid,
            revision: DecimalString,
            position: DecimalString,
            asOf: IsoDateTime,
            state: CaseStateView,
          }),
        },
      },
    },
    async (request, reply) => {
      const { waitFor, asOf, revision } = request.query
      await read(reply, [], waitFor)
      const point = revision !== undefined ? { revision: BigInt(revision) } : { asOf: asOf! }
      const history = await replayCase(deps.store, request.params.id, point)
      if (!history) {
        throw new NotFoundError(
          revision !== undefined
            ? `case ${request.params.id} has no revision ${revision}`
            : `case ${request.params.id} did not exist at ${asOf}`,
        )
      }
      const actor = actorOf(request)
      const [reporter] = await showPersonal(deps.vault, [{ sealed: history.state.reporter, clear: mayContactReporter(actor, history.state) }])
      return {
        caseId: request.params.id,
        revision: history.revision.toString(),
        position: history.position.toString(),
        asOf: history.asOf,
        state: stateView(history.state, reporter as ReporterView | null),
      }
    },
  )

  app.get(
    '/cases/:id/events',
    {
      preValidation: requireRoles('auditor', 'manager'),
      schema: {
        tags,
        operationId: 'getCaseEvents',
        summary: "A case stream's raw stored events, with their hash chain",
        params: CaseParams,
        querystring: StreamEventsQuery,
        response: { 200: z.object({ caseId: Uuid, events: z.array(RawEvent), nextRevision: DecimalString.nullable() }) },
      },
    },
    async (request, reply) => {
      const { waitFor, from, limit } = request.query
      await read(reply, [], waitFor)
      const page = await streamEventsPage(deps.store, `case-${request.params.id}`, { from: BigInt(from), limit })
      if (!page) throw notFound(request.params.id)
      return { caseId: request.params.id, ...page }
    },
  )
}
