import { CaseEventTypes, caseEventReader, toJsonObject } from '@pc/contracts'
import type { CaseEvent, JsonObject } from '@pc/contracts'

/**
 * Case events to and from what the event store keeps: the latest `schemaVersion` on the way in (validated, so a
 * decider bug never reaches the log), upcast and validated on the way out. Fits the command handler's
 * `toStored` / `fromStored`.
 *
 * @example
 * await handleCommand(store, caseDecider, `case-${id}`, command, { ...caseEventCodec, context, metadata, eventIds })
 */
export const caseEventCodec = {
  toStored(event: CaseEvent): { type: string; schemaVersion: number; data: JsonObject } {
    const { schemaVersion, schema } = CaseEventTypes[event.type]
    return { type: event.type, schemaVersion, data: toJsonObject(schema.parse(event.data)) }
  },
  fromStored(stored: { type: string; schemaVersion: number; data: unknown }): CaseEvent {
    const { type, data } = caseEventReader.parse(stored.type, stored.schemaVersion, stored.data)
    return { type, data } as CaseEvent
  },
}
