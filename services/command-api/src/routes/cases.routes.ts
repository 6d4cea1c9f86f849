import { CaseCommandBodies, CaseCommandRoutes, Uuid, type CaseCommandRoute } from '@pc/contracts'
import {
  caseDecider,
  caseEventCodec,
  caseStreamId,
  DEFAULT_SLA_POLICY,
  type CaseCommand,
  type CaseContext,
} from '@pc/domain'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { commandRoute } from '../command-route.js'

/**
 * Case commands (DESIGN §4–§5, issue 3): `POST /v1/cases` (201) and `POST /v1/cases/:id/<command>` (200), each
 * with the zod body of `@pc/contracts`. Who may do what is the decider's business (`authorizeCaseCommand`): a
 * route only turns the request into a command.
 */

/**
 * What every route on a case stream shares: the case decider, its codec and stream, and its context — the time,
 * new ids, and the SLA policy in force (written into `CaseReported`, so replay never depends on today's policy).
 * Mediation routes (same stream) spread it too.
 */
export const caseStream = {
  decider: caseDecider,
  codec: caseEventCodec,
  streamId: caseStreamId,
  context: ({ now, newId }: { now: string; newId: () => string }): CaseContext => ({
    now,
    newId,
    slaPolicy: DEFAULT_SLA_POLICY,
  }),
}

export const CaseParams = z.object({ id: Uuid })

const SUMMARIES: Record<CaseCommandRoute, string> = {
  acknowledge: 'Acknowledge a case (first response)',
  assign: 'Assign a case (acknowledges it too)',
  hold: 'Put a case on hold (pauses the resolution clock)',
  resume: 'Resume a case on hold',
  note: 'Add a public or internal note',
  escalate: 'Escalate a case',
  resolve: 'Resolve a case',
  'follow-up': 'Record the follow-up (回访) rating; 1–2 reopens the case',
  review: 'Review (复盘) a resolved case',
  close: 'Close a case',
  reopen: 'Reopen a resolved, followed-up or closed case',
  withdraw: 'Withdraw an open case',
  link: 'Link a related case',
  unlink: 'Unlink a related case',
  merge: 'Merge a case into a primary case',
  unmerge: 'Undo a merge',
}

export const casesRoutes: FastifyPluginAsyncZod = async (app) => {
  commandRoute(app, {
    ...caseStream,
    url: '/cases',
    summary: 'Report a case',
    tags: ['cases'],
    status: 201,
    body: CaseCommandBodies.report,
    id: ({ newId }) => newId(),
    command: ({ id, body, actor }): CaseCommand => ({ type: 'report', caseId: id, data: body, actor }),
  })

  for (const [route, type] of Object.entries(CaseCommandRoutes) as Array<[CaseCommandRoute, RoutedCommandType]>) {
    commandRoute(app, {
      ...caseStream,
      url: `/cases/:id/${route}`,
      summary: SUMMARIES[route],
      tags: ['cases'],
      params: CaseParams,
      body: CaseCommandBodies[type],
      id: ({ params }) => params.id,
      // The body was validated by this very command's schema, so it is this command's data.
      command: ({ body, actor }) => ({ type, data: body, actor }) as CaseCommand,
    })
  }
}

type RoutedCommandType = (typeof CaseCommandRoutes)[CaseCommandRoute]
