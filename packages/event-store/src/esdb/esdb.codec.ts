import type { EventMetadata, JsonObject, NewEvent, RecordedEvent } from '../types.js'

/**
 * EventStoreDB has no field for our `schemaVersion`, so it travels in the event's metadata under this reserved
 * key and is stripped again on read. Not `$`-prefixed: EventStoreDB reserves those keys for itself ($v, $o,
 * $correlationId, $causationId…).
 */
export const SCHEMA_VERSION_KEY = 'pc.schemaVersion'

/** 2^64 - 1: how EventStoreDB says "no position" (older servers on stream reads). */
const UNKNOWN_POSITION = 18446744073709551615n

/**
 * Revisions and positions as bigint, whatever the client hands back. `@eventstore/db-client` 6.x converts
 * with BigInt(), but its successor returned plain numbers in places (KurrentDB-Client-NodeJS #423 for
 * `commitPosition`, #513 for `revision`). A number that is not a safe integer has already lost bits: refuse it
 * rather than deliver a wrong position.
 */
export function toBigInt(value: bigint | number | string, what: string): bigint {
  if (typeof value === 'bigint') return value
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`${what} ${value} arrived as an imprecise number`)
    return BigInt(value)
  }
  if (!/^-?\d+$/.test(value)) throw new RangeError(`${what} ${JSON.stringify(value)} is not an integer`)
  return BigInt(value)
}

/** The event as `@eventstore/db-client` wants it for `appendToStream` (a JSON event with our id). */
export interface EsdbEventData {
  id: string
  contentType: 'application/json'
  type: string
  data: JsonObject
  metadata: JsonObject
}

export function toEsdbEvent(event: NewEvent): EsdbEventData {
  if (SCHEMA_VERSION_KEY in event.metadata) {
    throw new TypeError(`metadata key ${SCHEMA_VERSION_KEY} is reserved for the EventStoreDB adapter`)
  }
  return {
    id: event.eventId,
    contentType: 'application/json',
    type: event.type,
    data: event.data,
    metadata: { ...(event.metadata as JsonObject), [SCHEMA_VERSION_KEY]: event.schemaVersion },
  }
}

/** The subset of the client's recorded event the adapter reads. */
export interface EsdbRecordedEvent {
  streamId: string
  id: string
  revision: bigint | number
  type: string
  isJson: boolean
  data: unknown
  metadata: unknown
  created: Date
  position?: { commit: bigint | number; prepare: bigint | number }
}

/** System events (`$`-prefixed types or streams) are EventStoreDB's own: never part of our log. */
export function isSystemEvent(event: { streamId: string; type: string }): boolean {
  return event.type.startsWith('$') || event.streamId.startsWith('$')
}

/**
 * The event's `$all` commit position. Servers before 22.x report 2^64 - 1 for events read from a stream
 * (KurrentDB PR #3459 added real positions); the port promises a position, so such a server is refused loudly.
 */
export function positionOf(event: EsdbRecordedEvent, fallback?: bigint | number): bigint {
  const raw = event.position?.commit ?? fallback
  const position = raw === undefined ? UNKNOWN_POSITION : toBigInt(raw, 'commit position')
  if (position === UNKNOWN_POSITION) {
    throw new Error(
      `EventStoreDB gave no $all position for ${event.streamId}@${event.revision}; stream reads carry positions ` +
        'only on EventStoreDB 22.10 or later — upgrade the server',
    )
  }
  return position
}

export function fromEsdbEvent(event: EsdbRecordedEvent, position: bigint): RecordedEvent {
  if (!event.isJson || !isJsonObject(event.data)) {
    // Not written by this adapter (another tool shares the database, or someone wrote around us). Refuse
    // rather than skip: skipping would hide it from the projector and the audit alike.
    throw new TypeError(`event ${event.id} in ${event.streamId} is not a JSON object event written by this adapter`)
  }
  const metadata: JsonObject = isJsonObject(event.metadata) ? { ...event.metadata } : {}
  const schemaVersion = metadata[SCHEMA_VERSION_KEY]
  delete metadata[SCHEMA_VERSION_KEY]
  return {
    eventId: event.id,
    streamId: event.streamId,
    revision: toBigInt(event.revision, 'revision'),
    position,
    type: event.type,
    schemaVersion: typeof schemaVersion === 'number' && Number.isInteger(schemaVersion) ? schemaVersion : 1,
    data: event.data,
    metadata: metadata as unknown as EventMetadata,
    recordedAt: event.created.toISOString(),
  }
}

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
}
