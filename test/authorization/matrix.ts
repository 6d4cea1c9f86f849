/**
 * THE AUTHORIZATION MATRIX (issue 17): who may call what, as reviewed data. Written from DESIGN §5 and the README's
 * "who" columns, not read off the code: `test/authorization.int.test.ts` sends every cell with real tokens and
 * fails when an operation of the OpenAPI document has no row here, so a new route cannot ship unreviewed.
 *
 * - `roles`: the roles the route admits at all; every other role gets 403 before its request is even validated.
 *   `'any'`: every authenticated caller.
 * - `relations`: for the roles it admits, the answer by how the caller stands to the thing (see `Relation`):
 *   `ok` is any answer that is not 401, 403 or 404 (the rules may still refuse with 409 or 422).
 */
import type { Role } from '@pc/platform'

export type Relation =
  /** The resident who reported the case (unit B1-101). */
  | 'resident:own'
  /** Another resident, of another unit. */
  | 'resident:other'
  /** The technician the case is assigned to. */
  | 'technician:assigned'
  /** A technician it is not assigned to. */
  | 'technician:unassigned'
  /** A resident, on a disclosure that is still a draft. */
  | 'resident:draft'
  /** A resident, on a published disclosure. */
  | 'resident:published'
  /** A resident who is a party to the dispute's mediation. */
  | 'resident:party'
  /** A resident who is not. */
  | 'resident:not-party'

export type Expected = 'ok' | 403 | 404

export interface Row {
  roles: readonly Role[] | 'any'
  relations?: Partial<Record<Relation, Expected>>
}

const STAFF_SIDE = ['staff', 'manager'] as const
const MEDIATION_SIDE = ['manager', 'mediator'] as const
const OVERSIGHT = ['manager', 'committee', 'auditor'] as const
const CASE_READERS = ['staff', 'manager', 'auditor', 'technician', 'mediator', 'resident'] as const
/** A resident reads their own cases only; a technician those assigned to them. */
const READS_OWN_CASE = { 'resident:own': 'ok', 'resident:other': 404, 'technician:assigned': 'ok', 'technician:unassigned': 404 } as const
const RESIDENTS_OWN_CASE = { 'resident:own': 'ok', 'resident:other': 404 } as const

export const MATRIX: Record<string, Row> = {
  // Cases: the closed loop.
  reportCase: { roles: ['resident', ...STAFF_SIDE] },
  listCases: { roles: CASE_READERS },
  getCase: { roles: CASE_READERS, relations: READS_OWN_CASE },
  getCaseTimeline: { roles: CASE_READERS, relations: READS_OWN_CASE },
  getCaseHistory: { roles: ['staff', 'manager', 'auditor'] },
  getCaseEvents: { roles: ['auditor', 'manager'] },
  acknowledgeCase: { roles: STAFF_SIDE },
  assignCase: { roles: STAFF_SIDE },
  holdCase: { roles: STAFF_SIDE },
  resumeCase: { roles: STAFF_SIDE },
  addCaseNote: {
    roles: ['resident', 'technician', ...STAFF_SIDE],
    relations: { ...RESIDENTS_OWN_CASE, 'technician:assigned': 'ok', 'technician:unassigned': 403 },
  },
  escalateCase: { roles: STAFF_SIDE },
  resolveCase: { roles: ['technician', ...STAFF_SIDE], relations: { 'technician:assigned': 'ok', 'technician:unassigned': 403 } },
  recordCaseFollowUp: { roles: ['resident', ...STAFF_SIDE], relations: RESIDENTS_OWN_CASE },
  reviewCase: { roles: ['manager'] },
  closeCase: { roles: STAFF_SIDE },
  reopenCase: { roles: ['resident', ...STAFF_SIDE], relations: RESIDENTS_OWN_CASE },
  withdrawCase: { roles: ['resident', ...STAFF_SIDE], relations: RESIDENTS_OWN_CASE },
  linkCase: { roles: STAFF_SIDE },
  unlinkCase: { roles: STAFF_SIDE },
  mergeCase: { roles: STAFF_SIDE },
  unmergeCase: { roles: STAFF_SIDE },
  listOverdueCases: { roles: ['staff', 'manager', 'auditor'] },
  getCaseFigures: { roles: OVERSIGHT },

  // Mediation (调解): the mediator's; parties answer and decline for themselves.
  openMediation: { roles: MEDIATION_SIDE },
  getMediation: { roles: ['staff', 'manager', 'auditor', 'mediator', 'resident'], relations: { 'resident:party': 'ok', 'resident:not-party': 404 } },
  proposeAgreement: { roles: MEDIATION_SIDE },
  respondToAgreement: { roles: [...MEDIATION_SIDE, 'resident'] },
  holdMediationSession: { roles: MEDIATION_SIDE },
  recordPartyStatement: { roles: MEDIATION_SIDE },
  recordMediationRefusal: { roles: [...MEDIATION_SIDE, 'resident'], relations: { 'resident:party': 'ok', 'resident:not-party': 404 } },
  extendMediation: { roles: MEDIATION_SIDE },
  concludeMediation: { roles: MEDIATION_SIDE },
  checkFulfilment: { roles: MEDIATION_SIDE },
  recordCourtConfirmation: { roles: MEDIATION_SIDE },
  getMediationFigures: { roles: OVERSIGHT },

  // Disclosures (公示): managers publish, everyone reads what is published, residents and the committee answer.
  draftDisclosure: { roles: ['manager'] },
  reviseDisclosure: { roles: ['manager'] },
  publishDisclosure: { roles: ['manager'] },
  correctDisclosure: { roles: ['manager'] },
  retractDisclosure: { roles: ['manager'] },
  listDisclosures: { roles: 'any' },
  getDisclosureSchedule: { roles: 'any' },
  getDisclosure: { roles: 'any', relations: { 'resident:draft': 404, 'resident:published': 'ok' } },
  getDisclosureVersion: { roles: 'any', relations: { 'resident:published': 'ok' } },
  listDisclosureComments: { roles: 'any', relations: { 'resident:draft': 404, 'resident:published': 'ok' } },
  commentOnDisclosure: { roles: ['resident', 'committee'], relations: { 'resident:draft': 404, 'resident:published': 'ok' } },
  objectToDisclosure: { roles: ['resident'], relations: { 'resident:draft': 404, 'resident:published': 'ok' } },
  reviewDisclosure: { roles: ['committee'] },
  getDisclosureEvents: { roles: OVERSIGHT },

  // The ledger: the committee, auditors and managers verify.
  getLedgerHead: { roles: OVERSIGHT },
  getLedgerPublicKey: { roles: OVERSIGHT },
  listLedgerKeys: { roles: OVERSIGHT },
  getInclusionProof: { roles: OVERSIGHT },
  getConsistencyProof: { roles: OVERSIGHT },

  // Personal data: only an administrator forgets a person.
  forgetSubject: { roles: ['admin'] },
}
