import { toJsonObject, type EventReader, type EventTypeRegistry, type JsonObject } from '@pc/contracts'

/** What the event store keeps of an event: its type, the schema version its data was written in, and the data. */
export interface StoredEventData {
  type: string
  schemaVersion: number
  data: JsonObject
}

/**
 * One context's events to and from the log: `toStored` writes the latest `schemaVersion`, validated (so a decider
 * bug never reaches the log); `fromStored` upcasts and validates; `fromTrusted` only upcasts what `toStored` just
 * validated, on its way into the log (it still refuses an unknown type or version). Fits the command handler's
 * codec and is what the read models decode with.
 */
export interface StoredEventCodec<Event> {
  toStored(event: Event): StoredEventData
  fromStored(stored: { type: string; schemaVersion: number; data: unknown }): Event
  fromTrusted(stored: StoredEventData): Event
}

/**
 * The codec of a context from its type registry and reader (`@pc/contracts`); every context's codec is this one.
 *
 * @example
 * export const subjectEventCodec = eventCodec<SubjectEvent>(SubjectEventTypes, subjectEventReader)
 */
export function eventCodec<Event extends { type: string; data: unknown }>(types: EventTypeRegistry, reader: EventReader): StoredEventCodec<Event> {
  return {
    toStored(event) {
      const { schemaVersion, schema } = types[event.type]!
      return { type: event.type, schemaVersion, data: toJsonObject(schema.parse(event.data) as object) }
    },
    fromStored(stored) {
      const { type, data } = reader.parse(stored.type, stored.schemaVersion, stored.data)
      return { type, data } as Event
    },
    fromTrusted(stored) {
      return { type: stored.type, data: reader.upcast(stored.type, stored.schemaVersion, stored.data) } as Event
    },
  }
}
