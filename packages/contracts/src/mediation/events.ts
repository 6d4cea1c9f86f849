import { z } from 'zod'
import { IsoDateTime, TextLimit, UserId, Uuid, line, text } from '../common.js'
import { Sealed } from '../personal.js'
import type { EventHistory, EventTypeRegistry, UpcasterRegistry } from '../event-registry.js'
import {
  MediationOutcome,
  MediationPartyRole,
  MediationReferral,
  MediationSessionId,
  MediationSessionMode,
} from './values.js'

/**
 * The data of every mediation event, latest schema version. Mediation events live in the dispute case's own stream
 * (`case-<uuid>`), so one stream is the dispute's whole history. Like the case events each carries `at` (the
 * command's clock) and what a read model needs without another stream; who did it is `metadata.actor`.
 *
 * Parties are named by user id everywhere; a party's name is personal data (DESIGN §7) and appears only in
 * `MediationOpened`, in each party's own `contact` object, so it can be encrypted and erased per data subject.
 */

const at = IsoDateTime
const reason = () => text(TextLimit.reason)

export const MediationPartyRecord = z.strictObject({
  partyId: UserId,
  role: MediationPartyRole,
  unit: line(TextLimit.name).nullable(),
  /** Personal data: `{ name }` sealed for the party (its subject is `partyId`); never mixed into the fields above. */
  contact: Sealed.nullable(),
})

/** Version 1 of a party: its name in clear. */
const MediationPartyRecordV1 = MediationPartyRecord.extend({ contact: z.strictObject({ name: line(TextLimit.name) }).nullable() })
export type MediationPartyRecord = z.infer<typeof MediationPartyRecord>

export const MediationOpenedData = z.strictObject({
  mediationId: Uuid,
  mediatorId: UserId,
  parties: z.array(MediationPartyRecord).min(2),
  /** Always true: a mediation is not opened before the parties were told their rights (权利义务告知). */
  rightsNoticeGiven: z.literal(true),
  deadlineDays: z.number().int().min(1),
  deadlineAt: IsoDateTime,
  at,
})

export const MediationSessionHeldData = z.strictObject({
  sessionId: MediationSessionId,
  heldAt: IsoDateTime,
  mode: MediationSessionMode,
  attendees: z.array(UserId).min(1),
  /** A private session's summary is internal: it never reaches a resident. */
  summary: text(),
  at,
})

export const MediationStatementRecordedData = z.strictObject({
  partyId: UserId,
  statement: text(),
  sessionId: MediationSessionId.nullable(),
  /** The mode of that session: a statement made in a private session is internal, like the session's summary. */
  sessionMode: MediationSessionMode.nullable(),
  at,
})

/** A party declined: mediation is voluntary, so a `MediationConcluded` (no agreement) follows in the same append. */
export const MediationRefusedData = z.strictObject({ partyId: UserId, reason: reason().nullable(), at })

export const AgreementProposedData = z.strictObject({
  agreementId: Uuid,
  facts: text(),
  disputedPoints: z.array(text(TextLimit.reason)).min(1),
  responsibilities: z.array(z.strictObject({ partyId: UserId, text: text(TextLimit.reason) })),
  terms: z.array(z.strictObject({ partyId: UserId, description: text(TextLimit.reason), dueAt: IsoDateTime })).min(1),
  at,
})

/** Who entered a party's answer: the party themselves, or the mediator (or a manager) recording it. */
export const ResponseRecordedBy = z.enum(['party', 'mediator'])
export type ResponseRecordedBy = z.infer<typeof ResponseRecordedBy>

const AgreementResponseData = z.strictObject({
  agreementId: Uuid,
  partyId: UserId,
  comment: reason().nullable(),
  recordedBy: ResponseRecordedBy,
  at,
})

export const AgreementAcceptedData = AgreementResponseData
/** The proposal fails; the mediation goes back to proposing. */
export const AgreementRejectedData = AgreementResponseData

/** Every party accepted: recorded with the last acceptance, in the same append. */
export const AgreementReachedData = z.strictObject({ agreementId: Uuid, at })

export const MediationExtendedData = z.strictObject({
  days: z.number().int().min(1),
  reason: reason(),
  previousDeadlineAt: IsoDateTime,
  deadlineAt: IsoDateTime,
  at,
})

export const MediationConcludedData = z.strictObject({
  outcome: MediationOutcome,
  referredTo: MediationReferral.nullable(),
  note: reason().nullable(),
  /** The agreement reached, for outcome `agreement`. */
  agreementId: Uuid.nullable(),
  /** The party whose refusal ended the mediation, if that is how it ended. */
  refusedBy: UserId.nullable(),
  /** Days from opening to conclusion (fractional), for the figures. */
  days: z.number().min(0),
  at,
})

export const FulfilmentCheckedData = z.strictObject({
  agreementId: Uuid,
  termIndex: z.number().int().min(0),
  fulfilled: z.boolean(),
  note: reason(),
  /** Whether the term was found fulfilled by its due date (null when it was found not fulfilled). */
  onTime: z.boolean().nullable(),
  at,
})

export const CourtConfirmationRequestedData = z.strictObject({
  agreementId: Uuid,
  requestedAt: IsoDateTime,
  court: line(TextLimit.title),
  at,
})

/** The SLA worker saw the mediation open past its deadline (once per deadline; actor `system:sla`). */
export const MediationDeadlinePassedData = z.strictObject({ deadlineAt: IsoDateTime, at })

/** The SLA worker saw a term past its due date and not found fulfilled (once per term; actor `system:sla`). */
export const FulfilmentOverdueData = z.strictObject({
  agreementId: Uuid,
  termIndex: z.number().int().min(0),
  dueAt: IsoDateTime,
  at,
})

/** Mediation event type → latest schema version and its data schema. */
export const MediationEventTypes = {
  MediationOpened: { schemaVersion: 2, schema: MediationOpenedData },
  MediationSessionHeld: { schemaVersion: 1, schema: MediationSessionHeldData },
  MediationStatementRecorded: { schemaVersion: 1, schema: MediationStatementRecordedData },
  MediationRefused: { schemaVersion: 1, schema: MediationRefusedData },
  AgreementProposed: { schemaVersion: 1, schema: AgreementProposedData },
  AgreementAccepted: { schemaVersion: 1, schema: AgreementAcceptedData },
  AgreementRejected: { schemaVersion: 1, schema: AgreementRejectedData },
  AgreementReached: { schemaVersion: 1, schema: AgreementReachedData },
  MediationExtended: { schemaVersion: 1, schema: MediationExtendedData },
  MediationConcluded: { schemaVersion: 1, schema: MediationConcludedData },
  FulfilmentChecked: { schemaVersion: 1, schema: FulfilmentCheckedData },
  CourtConfirmationRequested: { schemaVersion: 1, schema: CourtConfirmationRequestedData },
  MediationDeadlinePassed: { schemaVersion: 1, schema: MediationDeadlinePassedData },
  FulfilmentOverdue: { schemaVersion: 1, schema: FulfilmentOverdueData },
} as const satisfies EventTypeRegistry

/** No superseded versions yet. */
export const MediationEventHistory = {
  MediationOpened: { 1: MediationOpenedData.extend({ parties: z.array(MediationPartyRecordV1).min(2) }) },
} as const satisfies EventHistory

/**
 * - `MediationOpened` 1 → 2: version 1 held each party's name in clear; like a v1 report's contact it cannot be
 *   sealed or forgotten, so it reads as no contact.
 */
export const mediationUpcasters = {
  MediationOpened: {
    1: (data) => ({ ...data, parties: (data.parties as Array<Record<string, unknown>>).map((p) => ({ ...p, contact: null })) }),
  },
} satisfies UpcasterRegistry

export type MediationEventType = keyof typeof MediationEventTypes
export type MediationEventData<T extends MediationEventType> = z.infer<(typeof MediationEventTypes)[T]['schema']>

/** A mediation event as the mediation decider produces and `evolve` consumes it. */
export type MediationEvent = { [T in MediationEventType]: { type: T; data: MediationEventData<T> } }[MediationEventType]
export type MediationEventOf<T extends MediationEventType> = Extract<MediationEvent, { type: T }>

export function isMediationEventType(type: string): type is MediationEventType {
  return Object.hasOwn(MediationEventTypes, type)
}

/** Narrows an event of the case stream to a mediation event. */
export function isMediationEvent(event: { type: string }): event is MediationEvent {
  return isMediationEventType(event.type)
}
