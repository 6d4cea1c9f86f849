import { DecimalString, IsoDateTime, Uuid } from '@pc/contracts'
import type { EventStore, RecordedEvent } from '@pc/event-store'
import { z } from 'zod'
import { WaitForQuery } from './read-your-writes.js'

/**
 * One stream's raw stored events, a page at a time: what `GET /v1/<context>/:id/events` answers to auditors (the
 * form of the case events endpoint, shared so every context's answers the same way). Revision and position are
 * decimal strings; data and metadata (hash chain included) exactly as stored.
 *
 * @example
 * const page = await streamEventsPage(store, `disclosure-${id}`, { from: 0n, limit: 1000 })
 * if (!page) throw new NotFoundError('no such disclosure')
 */

export const StreamEventsQuery = WaitForQuery.extend({
  from: DecimalString.default('0').describe('First revision to list'),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
})

export const RawEvent = z.object({
  eventId: Uuid,
  streamId: z.string(),
  revision: DecimalString,
  position: DecimalString,
  type: z.string(),
  schemaVersion: z.number().int(),
  data: z.record(z.string(), z.unknown()),
  metadata: z.record(z.string(), z.unknown()).describe('actor, occurredAt, correlationId, causationId, prevHash, hash'),
  recordedAt: IsoDateTime,
})
export type RawEvent = z.infer<typeof RawEvent>

export interface StreamEventsPage {
  events: RawEvent[]
  /** The revision the next page starts at; null on the last page. */
  nextRevision: string | null
}

/** A page of the stream from revision `from`, or null when the stream does not exist. */
export async function streamEventsPage(
  store: Pick<EventStore, 'readStream'>,
  streamId: string,
  page: { from: bigint; limit: number },
): Promise<StreamEventsPage | null> {
  const events: RecordedEvent[] = []
  for await (const event of store.readStream(streamId, { from: page.from, maxCount: page.limit + 1 })) events.push(event)
  if (events.length === 0) {
    // Past the end of an existing stream is an empty page; no stream at all is nothing to show.
    for await (const _ of store.readStream(streamId, { maxCount: 1 })) return { events: [], nextRevision: null }
    return null
  }
  return {
    events: events.slice(0, page.limit).map(rawEvent),
    nextRevision: events.length > page.limit ? events[page.limit]!.revision.toString() : null,
  }
}

export function rawEvent(event: RecordedEvent): RawEvent {
  return {
    eventId: event.eventId,
    streamId: event.streamId,
    revision: event.revision.toString(),
    position: event.position.toString(),
    type: event.type,
    schemaVersion: event.schemaVersion,
    data: event.data,
    metadata: event.metadata,
    recordedAt: event.recordedAt,
  }
}
