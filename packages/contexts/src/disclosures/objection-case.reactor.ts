import type { SlaPolicy } from '@pc/contracts'
import {
  DEFAULT_SLA_POLICY,
  OBJECTION_CASE_ACTOR,
  caseDecider,
  caseEventCodec,
  caseStreamId,
  disclosureEventCodec,
  objectionCaseEventId,
  objectionCaseReport,
} from '@pc/domain'
import { WrongExpectedRevisionError, handleCommand, type EventStore, type RecordedEvent } from '@pc/event-store'
import type { Projection } from '@pc/read-models'

/** The reactor's name: it keys its checkpoint and lease like a projection's. */
export const OBJECTION_CASE_REACTOR = 'disclosure-objection-cases'

export interface ObjectionCaseReactorOptions {
  store: EventStore
  /** The SLA policy written into the case (default: the command API's, `DEFAULT_SLA_POLICY`). */
  slaPolicy?: SlaPolicy
}

/**
 * Objection → case (issue 6): every `DisclosureObjected` opens a complaint case linked to the disclosure, through
 * the same command handler and case decider as `POST /v1/cases`.
 *
 * It runs as a projection without tables, so the projection runner gives it a lease (one active instance), a
 * checkpoint and retries. The checkpoint commits after the case is appended, so a crash in between delivers the
 * objection again: the case id (and its event ids) are derived from the objection, so the second report addresses
 * the same stream, expects it not to exist, finds it there and is done — a retry never opens two cases.
 *
 * @example
 * const runner = new ProjectionRunner({ db, store, connectionString, projections: [objectionCaseReactor({ store })] })
 */
export function objectionCaseReactor(options: ObjectionCaseReactorOptions): Projection {
  return {
    name: OBJECTION_CASE_REACTOR,
    version: 1,
    tables: [],
    filter: { eventTypePrefix: ['DisclosureObjected'] },
    async handle(_trx, events) {
      for (const event of events) {
        if (event.type === 'DisclosureObjected') await openObjectionCase(options, event)
      }
    },
  }
}

/**
 * Reports the case one objection opens, unless it is there already. Returns its id and `created: false` when the
 * case was found already open. Calls racing on the same objection append the same event ids at the same place,
 * which the store takes as one idempotent append: each of them may answer `created: true`, and the stream still
 * holds one report.
 */
export async function openObjectionCase(
  options: ObjectionCaseReactorOptions,
  objection: RecordedEvent,
): Promise<{ caseId: string; created: boolean }> {
  const decoded = disclosureEventCodec.fromStored(objection)
  if (decoded.type !== 'DisclosureObjected') throw new TypeError(`not an objection: ${objection.type}`)
  const { caseId, data } = objectionCaseReport(decoded.data)
  // The objection's own time: a reactor that was behind still dates the complaint (and starts its SLA clocks)
  // when the resident objected, and a retry decides exactly the same events.
  const at = decoded.data.at
  try {
    await handleCommand(
      options.store,
      caseDecider,
      caseStreamId(caseId),
      { type: 'report', caseId, data, actor: OBJECTION_CASE_ACTOR },
      {
        codec: caseEventCodec,
        context: () => ({ now: at, slaPolicy: options.slaPolicy ?? DEFAULT_SLA_POLICY }),
        metadata: {
          actor: { id: OBJECTION_CASE_ACTOR.id, roles: [...OBJECTION_CASE_ACTOR.roles] },
          occurredAt: at,
          correlationId: objection.metadata.correlationId,
          causationId: objection.eventId,
        },
        expectedRevision: 'no_stream',
        eventIds: (index) => objectionCaseEventId(decoded.data.objectionId, index),
      },
    )
    return { caseId, created: true }
  } catch (error) {
    // The case stream exists: this objection's case was opened before (only this reactor writes that id).
    if (error instanceof WrongExpectedRevisionError) return { caseId, created: false }
    throw error
  }
}
