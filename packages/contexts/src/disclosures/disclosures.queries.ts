import {
  DISCLOSURE_SCHEDULE_UTC_OFFSET_MINUTES,
  DisclosureCommentsQuery,
  DisclosureCommentsResponse,
  DisclosureDetailResponse,
  DisclosureIdParams,
  DisclosureListQuery,
  DisclosureListResponse,
  DisclosureReadQuery,
  DisclosureScheduleQuery,
  DisclosureScheduleResponse,
  DisclosureVersionParams,
  DisclosureVersionResponse,
  DecimalString,
  Uuid,
} from '@pc/contracts'
import { NotFoundError, disclosureStreamId, isDisclosureVisibleTo, localDate, scheduledDisclosures } from '@pc/domain'
import { actorOf, ETAG, requireRoles } from '@pc/platform'
import {
  DISCLOSURES_PROJECTION,
  getDisclosure,
  getDisclosureVersion,
  listDisclosureComments,
  listDisclosures,
  publishedPeriodDisclosures,
  type Visibility,
} from '@pc/read-models'
import type { FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { QueryDeps } from '../kit/query-deps.js'
import { readAt } from '../kit/read-your-writes.js'
import { RawEvent, StreamEventsQuery, streamEventsPage } from '../kit/stream-events.js'

const READ_MODELS = [DISCLOSURES_PROJECTION]

/**
 * Disclosure queries (公示, issue 6). Published and retracted disclosures are for every authenticated user; drafts
 * for managers only — to anyone else a draft is a 404, as if the id were free.
 * - `GET /v1/disclosures?kind=&status=` — newest first, opaque cursor;
 * - `GET /v1/disclosures/:id` — current version, the version chain with hashes and reasons, counts, reviews;
 * - `GET /v1/disclosures/:id/versions/:v` — one version, `content` exactly as published (its `contentHash` is the
 *   SHA-256 of that content's RFC 8785 form);
 * - `GET /v1/disclosures/:id/comments`;
 * - `GET /v1/disclosures/:id/events` — the raw stored events (auditors, managers, committee members);
 * - `GET /v1/disclosures/schedule` — the configured schedule's periods that are due or overdue.
 * Read-model routes take `waitFor` and answer `X-Projection-Position`.
 */
export const disclosuresRoutes: FastifyPluginAsyncZod<QueryDeps> = async (app, deps) => {
  const { now } = deps
  const tags = ['disclosures']
  const db = deps.db
  const read = (reply: Parameters<typeof readAt>[1], waitFor: string | undefined) =>
    readAt(deps, reply, { projections: READ_MODELS, waitFor })
  const visibility = (request: FastifyRequest): Visibility => ({ withDrafts: isDisclosureVisibleTo(actorOf(request), 'draft') })
  const { disclosureSchedule } = deps.config
  const scheduledKinds = [...new Set(disclosureSchedule.map((entry) => entry.kind))]

  app.get(
    '/disclosures/schedule',
    {
      schema: {
        tags,
        operationId: 'getDisclosureSchedule',
        summary: "The estate's disclosure schedule: periods due or overdue (or disclosed, with status=disclosed)",
        querystring: DisclosureScheduleQuery,
        response: { 200: DisclosureScheduleResponse },
      },
    },
    async (request, reply) => {
      const { waitFor, status, asOf } = request.query
      await read(reply, waitFor)
      const day = asOf ?? localDate(now().toISOString(), DISCLOSURE_SCHEDULE_UTC_OFFSET_MINUTES)
      const published = await publishedPeriodDisclosures(db, scheduledKinds)
      const items = scheduledDisclosures(disclosureSchedule, published, day, DISCLOSURE_SCHEDULE_UTC_OFFSET_MINUTES)
      return {
        asOf: day,
        items: items.filter((item) => (status === undefined ? item.status !== 'disclosed' : item.status === status)),
      }
    },
  )

  app.get(
    '/disclosures',
    {
      schema: {
        tags,
        operationId: 'listDisclosures',
        summary: 'Disclosures, newest first (drafts to managers only)',
        querystring: DisclosureListQuery,
        response: { 200: DisclosureListResponse },
      },
    },
    async (request, reply) => {
      const { waitFor, ...query } = request.query
      await read(reply, waitFor)
      return listDisclosures(db, query, visibility(request))
    },
  )

  app.get(
    '/disclosures/:id',
    {
      schema: {
        tags,
        operationId: 'getDisclosure',
        summary: 'One disclosure: current version, version chain, comment and objection counts, committee reviews',
        params: DisclosureIdParams,
        querystring: DisclosureReadQuery,
        response: { 200: DisclosureDetailResponse },
        responseHeaders: { ETag: ETAG },
      },
    },
    async (request, reply) => {
      await read(reply, request.query.waitFor)
      const disclosure = await getDisclosure(db, request.params.id, visibility(request))
      void reply.header('etag', `"${disclosure.revision}"`)
      return disclosure
    },
  )

  app.get(
    '/disclosures/:id/versions/:v',
    {
      schema: {
        tags,
        operationId: 'getDisclosureVersion',
        summary: 'One published version, content exactly as published (contentHash recomputes from it)',
        params: DisclosureVersionParams,
        querystring: DisclosureReadQuery,
        response: { 200: DisclosureVersionResponse },
      },
    },
    async (request, reply) => {
      await read(reply, request.query.waitFor)
      return getDisclosureVersion(db, request.params.id, request.params.v, visibility(request))
    },
  )

  app.get(
    '/disclosures/:id/comments',
    {
      schema: {
        tags,
        operationId: 'listDisclosureComments',
        summary: "A disclosure's comments, oldest first",
        params: DisclosureIdParams,
        querystring: DisclosureCommentsQuery,
        response: { 200: DisclosureCommentsResponse },
      },
    },
    async (request, reply) => {
      const { waitFor, ...page } = request.query
      await read(reply, waitFor)
      return listDisclosureComments(db, request.params.id, page, visibility(request))
    },
  )

  app.get(
    '/disclosures/:id/events',
    {
      preValidation: requireRoles('auditor', 'manager', 'committee'),
      schema: {
        tags,
        operationId: 'getDisclosureEvents',
        summary: "A disclosure stream's raw stored events, with their hash chain",
        params: DisclosureIdParams,
        querystring: StreamEventsQuery,
        response: {
          200: z.object({ disclosureId: Uuid, events: z.array(RawEvent), nextRevision: DecimalString.nullable() }),
        },
      },
    },
    async (request, reply) => {
      const { waitFor, from, limit } = request.query
      await readAt(deps, reply, { projections: [], reportPositionOf: READ_MODELS, waitFor })
      const { id } = request.params
      const streamId = disclosureStreamId(id)
      const page = await streamEventsPage(deps.store, streamId, { from: BigInt(from), limit })
      // Auditors replay everything; a committee member, like every non-manager, does not see a draft.
      const actor = actorOf(request)
      const seesDrafts = actor.roles.includes('auditor') || isDisclosureVisibleTo(actor, 'draft')
      if (!page || (!seesDrafts && !(await wasPublished(streamId)))) throw new NotFoundError('disclosure not found')
      return { disclosureId: id, ...page }
    },
  )

  async function wasPublished(streamId: string): Promise<boolean> {
    // Drafts are short streams (drafted, revised…); publication, if any, ends them.
    for await (const event of deps.store.readStream(streamId)) {
      if (event.type === 'DisclosurePublished') return true
    }
    return false
  }
}
