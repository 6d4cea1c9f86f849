import { DisclosureEventTypes, disclosureEventReader } from '@pc/contracts'
import type { DisclosureEvent } from '@pc/contracts'
import { eventCodec } from '../event-codec.js'

/**
 * Disclosure events to and from what the event store keeps: the latest `schemaVersion` on the way in (validated, so
 * a decider bug never reaches the log), upcast and validated on the way out. Fits the command handler's `toStored` /
 * `fromStored`, and is what the read models decode with.
 *
 * @example
 * await handleCommand(store, disclosureDecider, `disclosure-${id}`, command, { ...disclosureEventCodec, context, metadata, eventIds })
 */
export const disclosureEventCodec = eventCodec<DisclosureEvent>(DisclosureEventTypes, disclosureEventReader)

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
