import { DisclosureEventTypes, disclosureEventReader, toJsonObject } from '@pc/contracts'
import type { DisclosureEvent, JsonObject } from '@pc/contracts'

/**
 * Disclosure events to and from what the event store keeps: the latest `schemaVersion` on the way in (validated, so
 * a decider bug never reaches the log), upcast and validated on the way out. Fits the command handler's `toStored` /
 * `fromStored`, and is what the read models decode with.
 *
 * @example
 * await handleCommand(store, disclosureDecider, `disclosure-${id}`, command, { ...disclosureEventCodec, context, metadata, eventIds })
 */
export const disclosureEventCodec = {
  toStored(event: DisclosureEvent): { type: string; schemaVersion: number; data: JsonObject } {
    const { schemaVersion, schema } = DisclosureEventTypes[event.type]
    return { type: event.type, schemaVersion, data: toJsonObject(schema.parse(event.data)) }
  },
  fromStored(stored: { type: string; schemaVersion: number; data: unknown }): DisclosureEvent {
    const { type, data } = disclosureEventReader.parse(stored.type, stored.schemaVersion, stored.data)
    return { type, data } as DisclosureEvent
  },
  /**
   * An event whose data was validated already — what `toStored` just returned, on its way into the log: upcast
   * only (which still refuses an unknown type or version), without validating the data a second time.
   */
  fromTrusted(stored: { type: string; schemaVersion: number; data: JsonObject }): DisclosureEvent {
    return { type: stored.type, data: disclosureEventReader.upcast(stored.type, stored.schemaVersion, stored.data) } as DisclosureEvent
  },
}

/** `disclosure-<uuid>` (DESIGN §4). */
export const DISCLOSURE_STREAM_PREFIX = 'disclosure-'

export function disclosureStreamId(disclosureId: string): string {
  return `${DISCLOSURE_STREAM_PREFIX}${disclosureId}`
}

/** `disclosure-<uuid>` → `<uuid>`. */
export function disclosureIdOf(streamId: string): string {
  if (!streamId.startsWith(DISCLOSURE_STREAM_PREFIX)) throw new Error(`not a disclosure stream: ${streamId}`)
  return streamId.slice(DISCLOSURE_STREAM_PREFIX.length)
}
