import { CaseStreamEventTypes, caseEventReader } from '@pc/contracts'
import type { CaseStreamEvent } from '@pc/contracts'
import { eventCodec } from '../event-codec.js'

/**
 * Events of a case stream to and from what the event store keeps — case events and a dispute's mediation events
 * alike: the latest `schemaVersion` on the way in (validated, so a decider bug never reaches the log), upcast and
 * validated on the way out. Fits the command handler's `toStored` / `fromStored`.
 *
 * @example
 * await handleCommand(store, caseDecider, `case-${id}`, command, { ...caseEventCodec, context, metadata, eventIds })
 */
export const caseEventCodec = eventCodec<CaseStreamEvent>(CaseStreamEventTypes, caseEventReader)

/** `case-<uuid>` (DESIGN §4): one stream per case, its mediation included. */
export const CASE_STREAM_PREFIX = 'case-'

export function caseStreamId(caseId: string): string {
  return `${CASE_STREAM_PREFIX}${caseId}`
}
