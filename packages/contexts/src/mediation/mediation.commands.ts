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
import { mediationCommandRoles, type CaseState, type MediationCommand } from '@pc/domain'
import type { z } from 'zod'
import { CaseParams } from '../cases/cases.commands.js'
import { commandSpecs, type CommandSpec } from '../context.js'

/**
 * Mediation of a dispute (调解, DESIGN §4): `POST /v1/cases/:id/mediation` and its steps under it. The commands go
 * to the dispute's own case stream, decided by the mediation decider on the case state; who may do what (the
 * named mediator and managers run it, parties answer for themselves) is the decider's business; a caller of no role
 * that could ever send a command (`mediationCommandRoles`) is refused with 403 before the body is read.
 *
 * - `…/mediation` opens one → `{ id, revision, position, mediationId }`
 * - `…/mediation/agreement` proposes an agreement → `{ …, agreementId }`
 * - `…/mediation/agreement/:agreementId/responses` a party's answer
 * - `…/mediation/{sessions,statements,refusals,extend,conclude,fulfilment,court-confirmation}`
 */

const spec = commandSpecs<MediationCommand, CaseState>()

/** The mediation in the state after the command (there is one: every mediation command needs it). */
function mediationOf(state: CaseState) {
  if (state.status === 'none' || state.mediation === null) throw new Error('a mediation command left no mediation')
  return state.mediation
}

type SimpleType = Exclude<MediationCommand['type'], 'open_mediation' | 'propose_agreement' | 'respond_to_agreement'>

/** `POST /cases/:id/mediation/<path>`: the body is the command's data as it is. */
function simple(path: string, operationId: string, summary: string, type: SimpleType, body: z.ZodType): CommandSpec<MediationCommand, CaseState> {
  return spec({
    operationId,
    url: `/cases/:id/mediation/${path}`,
    summary,
    roles: mediationCommandRoles(type),
    params: CaseParams,
    body,
    id: ({ params }) => params.id,
    // The body was validated by this very command's schema, so it is this command's data.
    command: ({ body: data, actor }) => ({ type, data, actor }) as MediationCommand,
  })
}

export const mediationCommands: readonly CommandSpec<MediationCommand, CaseState>[] = [
  spec({
    operationId: 'openMediation',
    url: '/cases/:id/mediation',
    summary: 'Open a mediation of a dispute in progress',
    roles: mediationCommandRoles('open_mediation'),
    params: CaseParams,
    body: OpenMediationBody,
    id: ({ params }) => params.id,
    // Each party's name is sealed for that party (its subject is its `partyId`).
    prepare: ({ body }, { vault }) =>
      Promise.all(body.parties.map((party) => (party.name === undefined ? undefined : vault.seal(party.partyId, { name: party.name })))),
    command: ({ body, actor, newId, prepared }) => ({
      type: 'open_mediation',
      mediationId: newId(),
      data: {
        ...body,
        parties: body.parties.map(({ name: _clear, ...party }, i) => ({ ...party, ...(prepared[i] && { contact: prepared[i] }) })),
      },
      actor,
    }),
    answer: { schema: { mediationId: Uuid }, from: ({ state }) => ({ mediationId: mediationOf(state).mediationId }) },
  }),
  spec({
    operationId: 'proposeAgreement',
    url: '/cases/:id/mediation/agreement',
    summary: 'Propose an agreement (调解协议); answers its agreementId',
    roles: mediationCommandRoles('propose_agreement'),
    params: CaseParams,
    body: ProposeAgreementBody,
    id: ({ params }) => params.id,
    command: ({ body, actor, newId }) => ({ type: 'propose_agreement', agreementId: newId(), data: body, actor }),
    answer: { schema: { agreementId: Uuid }, from: ({ state }) => ({ agreementId: mediationOf(state).agreements.at(-1)!.agreementId }) },
  }),
  spec({
    operationId: 'respondToAgreement',
    url: '/cases/:id/mediation/agreement/:agreementId/responses',
    summary: "A party's answer to the proposed agreement (by the party, or recorded by the mediator)",
    roles: mediationCommandRoles('respond_to_agreement'),
    params: AgreementParams,
    body: RespondToAgreementBody,
    id: ({ params }) => params.id,
    command: ({ params, body, actor }) => ({ type: 'respond_to_agreement', agreementId: params.agreementId, data: body, actor }),
  }),
  simple('sessions', 'holdMediationSession', 'Record a mediation session (joint or private)', 'hold_session', HoldMediationSessionBody),
  simple('statements', 'recordPartyStatement', "Record a party's statement", 'record_statement', RecordStatementBody),
  simple('refusals', 'recordMediationRefusal', 'A party declines mediation; it ends (voluntariness)', 'record_refusal', RecordRefusalBody),
  simple('extend', 'extendMediation', 'Extend the mediation deadline (once)', 'extend_mediation', ExtendMediationBody),
  simple('conclude', 'concludeMediation', 'Conclude the mediation', 'conclude_mediation', ConcludeMediationBody),
  simple('fulfilment', 'checkFulfilment', 'Whether a term of the agreement was carried out', 'check_fulfilment', CheckFulfilmentBody),
  simple(
    'court-confirmation',
    'recordCourtConfirmation',
    'Record the request for court confirmation (司法确认), within 30 days of the agreement',
    'record_court_confirmation',
    RecordCourtConfirmationBody,
  ),
]
