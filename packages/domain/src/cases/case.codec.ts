import { CaseStreamEventTypes, caseEventReader, toJsonObject } from '@pc/contracts'
import type { CaseStreamEvent, JsonObject } from '@pc/contracts'

/**
 * Events of a case stream to and from what the event store keeps — case events and a dispute's mediation events
 * alike: the latest `schemaVersion` on the way in (validated, so a decider bug never reaches the log), upcast and
 * validated on the way out. Fits the command handler's `toStored` / `fromStored`.
 *
 * @example
 * await handleCommand(store, caseDecider, `case-${id}`, command, { ...caseEventCodec, context, metadata, eventIds })
 */
export const caseEventCodec = {
  toStored(event: CaseStreamEvent): { type: string; schemaVersion: number; data: JsonObject } {
    const { schemaVersion, schema } = CaseStreamEventTypes[event.type]
    return { type: event.type, schemaVersion, data: toJsonObject(schema.parse(event.data)) }
  },
  fromStored(stored: { type: string; schemaVersion: number; data: unknown }): CaseStreamEvent {
    const { type, data } = caseEventReader.parse(stored.type, stored.schemaVersion, stored.data)
    return { type, data } as CaseStreamEvent
  },
  /**
   * An event whose data was validated already — what `toStored` just returned, on its way into the log: upcast
   * only (which still refuses an unknown type or version), without validating the data a second time.
   */
  fromTrusted(stored: { type: string; schemaVersion: number; data: JsonObject }): CaseStreamEvent {
    return { type: stored.type, data: caseEventReader.upcast(stored.type, stored.schemaVersion, stored.data) } as CaseStreamEvent
  },
}

/** `case-<uuid>` (DESIGN §4): one stream per case, its mediation included. */
export const CASE_STREAM_PREFIX = 'case-'

export function caseStreamId(caseId: string): string {
  return `${CASE_STREAM_PREFIX}${caseId}`
}
