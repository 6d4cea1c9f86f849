import { MediationFigures, MediationView, Uuid } from '@pc/contracts'
import { NotFoundError } from '@pc/domain'
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
import { showPersonal } from '../kit/personal.js'
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
 * Names are personal data (DESIGN §7): the read model holds only their envelopes, opened here for the readers
 * who may see them (staff, managers, the mediator, the parties) and never logged.
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
      preValidation: requireRoles(...STAFF_SIDE, 'resident'),
      schema: {
        tags,
        operationId: 'getMediation',
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
      // Auditors and a reporter who is not a party see that a name is there, never the name.
      const clear = reader === 'party' || (reader === 'staff' && !isAuditorOnly(actor))
      const contacts = await showPersonal(deps.vault, found.view.parties.map((party) => ({ sealed: party.contact, clear })))
      return {
        ...(reader === 'staff' ? found.view : forResident(found.view)),
        parties: found.view.parties.map((party, i) => ({ ...party, contact: contacts[i] as MediationPartyContact | null })),
        revision: found.revision.toString(),
        position: found.position.toString(),
      }
    },
  )

  app.get(
    '/metrics/mediation',
    {
      preValidation: requireRoles('manager', 'committee', 'auditor'),
      schema: {
        tags: ['metrics'],
        operationId: 'getMediationFigures',
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

type MediationPartyContact = MediationView['parties'][number]['contact']

/** An auditor with no other staff-side role reads everything but personal data. */
function isAuditorOnly(actor: AuthenticatedActor): boolean {
  return actor.roles.includes('auditor') && !actor.roles.some((role) => role === 'staff' || role === 'manager' || role === 'mediator')
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

/** The first instant after the month `YYYY-MM`, China time. */
function monthAfter(month: string): string {
  const [year, m] = month.split('-').map(Number) as [number, number]
  const next = m === 12 ? `${year + 1}-01` : `${year}-${String(m + 1).padStart(2, '0')}`
  return `${next}-01T00:00:00+08:00`
}
