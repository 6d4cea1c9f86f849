import { MediationFigures, MediationView, Uuid } from '@pc/contracts'
import { caseEventCodec, caseStreamId, NotFoundError } from '@pc/domain'
import type { EventStore } from '@pc/event-store'
import { actorOf, requireRoles, type AuthenticatedActor } from '@pc/platform'
import {
  findCase,
  findMediation,
  MEDIATION_PROJECTION,
  queryMediationFigures,
  type StoredMediationView,
} from '@pc/read-models'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { QueryDeps } from '../kit/query-deps.js'
import { readAt, WaitForQuery } from '../kit/read-your-writes.js'

/**
 * Mediation queries (issue 5):
 * - `GET /v1/cases/:id/mediation` — a dispute's current mediation: parties, sessions, statements, every proposal with
 *   each party's answer, the outcome, fulfilment per term. Staff, managers, auditors and mediators read it whole; a
 *   resident reads it when they are a party or reported the dispute, without private sessions' summaries and what
 *   was said in them, and — unless they are a party — without the parties' names. Anyone else gets 404.
 * - `GET /v1/metrics/mediation?from=&to=` — mediations by outcome and the median days to conclusion (aggregates
 *   only, so committee members read them too).
 *
 * Names are personal data (DESIGN §7): the read model never holds them; they are read from the dispute's
 * `MediationOpened` event for the readers who may see them, and never logged.
 */

const CaseParams = z.object({ id: Uuid })
const STAFF_SIDE = ['staff', 'manager', 'auditor', 'mediator'] as const
const PROJECTIONS = [MEDIATION_PROJECTION]

const Month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month YYYY-MM')
const FiguresQuery = WaitForQuery.extend({
  from: Month.optional().describe('First month of opening included (China time)'),
  to: Month.optional().describe('Last month of opening included'),
})

export const mediationRoutes: FastifyPluginAsyncZod<QueryDeps> = async (app, deps) => {
  const tags = ['mediation']

  app.get(
    '/cases/:id/mediation',
    {
      preHandler: requireRoles(...STAFF_SIDE, 'resident'),
      schema: {
        tags,
        summary: "A dispute's current mediation (调解)",
        params: CaseParams,
        querystring: WaitForQuery,
        response: { 200: MediationView },
      },
    },
    async (request, reply) => {
      const caseId = request.params.id
      await readAt(deps, reply, { projections: PROJECTIONS, waitFor: request.query.waitFor })
      const actor = actorOf(request)
      const found = await findMediation(deps.db, caseId)
      const notFound = new NotFoundError(`no mediation of case ${caseId}`)
      if (!found) throw notFound
      const reader = await readerOf(actor, found.view, () => reportedBy(caseId, actor.id))
      if (reader === 'none') throw notFound
      const names = reader === 'outsider' ? new Map<string, string>() : await partyNames(deps.store, found.view)
      return {
        ...(reader === 'staff' ? found.view : forResident(found.view)),
        parties: found.view.parties.map((party) => ({ ...party, name: names.get(party.partyId) ?? null })),
        revision: found.revision.toString(),
        position: found.position.toString(),
      }
    },
  )

  app.get(
    '/metrics/mediation',
    {
      preHandler: requireRoles('manager', 'committee', 'auditor'),
      schema: {
        tags: ['metrics'],
        summary: 'Mediation figures: counts by outcome, median days from opening to conclusion',
        querystring: FiguresQuery,
        response: { 200: MediationFigures },
      },
    },
    async (request, reply) => {
      const { from, to, waitFor } = request.query
      await readAt(deps, reply, { projections: PROJECTIONS, waitFor })
      return queryMediationFigures(deps.db, {
        ...(from && { from: `${from}-01T00:00:00+08:00` }),
        ...(to && { to: monthAfter(to) }),
      })
    },
  )

  /** Whether the resident reported the dispute (the case list says who the case belongs to). */
  async function reportedBy(caseId: string, residentId: string): Promise<boolean> {
    return (await findCase(deps.db, caseId, [{ reporterId: residentId }])) !== null
  }
}

/** `staff` sees it whole; a `party` and an `outsider` (the reporter who is not a party) as residents; `none` nothing. */
type Reader = 'staff' | 'party' | 'outsider' | 'none'

async function readerOf(actor: AuthenticatedActor, view: StoredMediationView, reported: () => Promise<boolean>): Promise<Reader> {
  if (actor.roles.some((role) => (STAFF_SIDE as readonly string[]).includes(role))) return 'staff'
  if (view.parties.some((party) => party.partyId === actor.id)) return 'party'
  return (await reported()) ? 'outsider' : 'none'
}

/** What residents see: private sessions without their summary, and nothing said in them. */
function forResident(view: StoredMediationView): StoredMediationView {
  const privateSessions = new Set(view.sessions.filter((s) => s.mode === 'private').map((s) => s.sessionId))
  return {
    ...view,
    sessions: view.sessions.map((session) => (session.mode === 'private' ? { ...session, summary: null } : session)),
    statements: view.statements.filter((s) => s.sessionId === null || !privateSessions.has(s.sessionId)),
  }
}

/** The parties' names, from the mediation's `MediationOpened` in the dispute's stream. */
async function partyNames(store: EventStore, view: StoredMediationView): Promise<Map<string, string>> {
  for await (const stored of store.readStream(caseStreamId(view.caseId))) {
    if (stored.type !== 'MediationOpened') continue
    const event = caseEventCodec.fromStored(stored)
    if (event.type !== 'MediationOpened' || event.data.mediationId !== view.mediationId) continue
    return new Map(event.data.parties.flatMap((p) => (p.contact ? [[p.partyId, p.contact.name] as const] : [])))
  }
  return new Map()
}

/** The first instant after the month `YYYY-MM`, China time. */
function monthAfter(month: string): string {
  const [year, m] = month.split('-').map(Number) as [number, number]
  const next = m === 12 ? `${year + 1}-01` : `${year}-${String(m + 1).padStart(2, '0')}`
  return `${next}-01T00:00:00+08:00`
}
