import {
  AgreementParams,
  CheckFulfilmentBody,
  ConcludeMediationBody,
  ExtendMediationBody,
  HoldMediationSessionBody,
  OpenMediationBody,
  ProposeAgreementBody,
  RecordCourtConfirmationBody,
  RecordRefusalBody,
  RecordStatementBody,
  RespondToAgreementBody,
  Uuid,
} from '@pc/contracts'
import { mediationDecider, type CaseState, type MediationCommand } from '@pc/domain'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { z } from 'zod'
import { commandRoute, type ZodFastify } from '../command-route.js'
import { CaseParams, caseStream } from './cases.routes.js'

/**
 * Mediation of a dispute (调解, DESIGN §4, issue 5): `POST /v1/cases/:id/mediation` and its steps under it. The
 * commands go to the dispute's own case stream, decided by the mediation decider on the case state; who may do
 * what (the named mediator and managers run it, parties answer for themselves) is the decider's business.
 *
 * - `…/mediation` opens one → `{ id, revision, position, mediationId }`
 * - `…/mediation/agreement` proposes an agreement → `{ …, agreementId }`
 * - `…/mediation/agreement/:agreementId/responses` a party's answer
 * - `…/mediation/{sessions,statements,refusals,extend,conclude,fulfilment,court-confirmation}`
 */

const tags = ['mediation']
const onCase = { ...caseStream, decider: mediationDecider, tags, id: ({ params }: { params: { id: string } }) => params.id }

/** The mediation in the state after the command (there is one: every mediation command needs it). */
function mediationOf(state: CaseState) {
  if (state.status === 'none' || state.mediation === null) throw new Error('a mediation command left no mediation')
  return state.mediation
}

/** `POST /cases/:id/mediation/<path>`: the body is the command's data as it is. */
function simpleRoute<Body extends z.ZodType>(
  app: ZodFastify,
  path: string,
  summary: string,
  type: Exclude<MediationCommand['type'], 'open_mediation' | 'propose_agreement' | 'respond_to_agreement'>,
  body: Body,
): void {
  commandRoute(app, {
    ...onCase,
    url: `/cases/:id/mediation/${path}`,
    summary,
    params: CaseParams,
    body,
    // The body was validated by this very command's schema, so it is this command's data.
    command: ({ body: data, actor }) => ({ type, data, actor }) as MediationCommand,
  })
}

export const mediationRoutes: FastifyPluginAsyncZod = async (app) => {
  commandRoute(app, {
    ...onCase,
    url: '/cases/:id/mediation',
    summary: 'Open a mediation of a dispute in progress',
    params: CaseParams,
    body: OpenMediationBody,
    command: ({ body, actor, newId }): MediationCommand => ({ type: 'open_mediation', mediationId: newId(), data: body, actor }),
    answer: { schema: { mediationId: Uuid }, from: ({ result }) => ({ mediationId: mediationOf(result.state).mediationId }) },
  })

  commandRoute(app, {
    ...onCase,
    url: '/cases/:id/mediation/agreement',
    summary: 'Propose an agreement (调解协议); answers its agreementId',
    params: CaseParams,
    body: ProposeAgreementBody,
    command: ({ body, actor, newId }): MediationCommand => ({
      type: 'propose_agreement',
      agreementId: newId(),
      data: body,
      actor,
    }),
    answer: {
      schema: { agreementId: Uuid },
      from: ({ result }) => ({ agreementId: mediationOf(result.state).agreements.at(-1)!.agreementId }),
    },
  })

  commandRoute(app, {
    ...onCase,
    url: '/cases/:id/mediation/agreement/:agreementId/responses',
    summary: "A party's answer to the proposed agreement (by the party, or recorded by the mediator)",
    params: AgreementParams,
    body: RespondToAgreementBody,
    command: ({ params, body, actor }): MediationCommand => ({
      type: 'respond_to_agreement',
      agreementId: params.agreementId,
      data: body,
      actor,
    }),
  })

  simpleRoute(app, 'sessions', 'Record a mediation session (joint or private)', 'hold_session', HoldMediationSessionBody)
  simpleRoute(app, 'statements', "Record a party's statement", 'record_statement', RecordStatementBody)
  simpleRoute(app, 'refusals', 'A party declines mediation; it ends (voluntariness)', 'record_refusal', RecordRefusalBody)
  simpleRoute(app, 'extend', 'Extend the mediation deadline (once)', 'extend_mediation', ExtendMediationBody)
  simpleRoute(app, 'conclude', 'Conclude the mediation', 'conclude_mediation', ConcludeMediationBody)
  simpleRoute(app, 'fulfilment', 'Whether a term of the agreement was carried out', 'check_fulfilment', CheckFulfilmentBody)
  simpleRoute(
    app,
    'court-confirmation',
    'Record the request for court confirmation (司法确认), within 30 days of the agreement',
    'record_court_confirmation',
    RecordCourtConfirmationBody,
  )
}
