import { DuplicateEventIdError } from './errors.js'
import type { AppendOptions, ExpectedRevision, NewEvent, ReadStreamOptions } from './types.js'

/**
 * Argument checks every adapter makes the same way, so a bad call fails with the same `TypeError` whatever store
 * is behind the port (and before any I/O).
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Checks an append and returns its expected revision (default `'any'`) and the events with lower-case ids. */
export function checkAppend(
  streamId: string,
  events: readonly NewEvent[],
  options: AppendOptions | undefined,
): { expected: ExpectedRevision; events: NewEvent[] } {
  if (typeof streamId !== 'string' || streamId.length === 0) throw new TypeError('streamId must be a non-empty string')
  if (!Array.isArray(events) || events.length === 0) throw new TypeError(`append to ${streamId}: no events given`)
  const expected = options?.expectedRevision ?? 'any'
  if (typeof expected === 'bigint') {
    if (expected < 0n) throw new TypeError(`append to ${streamId}: expected revision ${expected} is negative`)
  } else if (expected !== 'any' && expected !== 'no_stream' && expected !== 'stream_exists') {
    throw new TypeError(`append to ${streamId}: unknown expected revision ${String(expected)}`)
  }
  const seen = new Set<string>()
  const normalised = events.map((event) => {
    if (typeof event.eventId !== 'string' || !UUID.test(event.eventId)) {
      throw new TypeError(`append to ${streamId}: event id ${String(event.eventId)} is not a uuid`)
    }
    if (typeof event.type !== 'string' || event.type.length === 0) {
      throw new TypeError(`append to ${streamId}: event ${event.eventId} has no type`)
    }
    if (!Number.isInteger(event.schemaVersion)) {
      throw new TypeError(`append to ${streamId}: event ${event.eventId} has no integer schemaVersion`)
    }
    // Stores hand uuids back in lower case; normalising here keeps what is read equal to what was written.
    const eventId = event.eventId.toLowerCase()
    if (seen.has(eventId)) throw new DuplicateEventIdError(eventId, streamId)
    seen.add(eventId)
    return eventId === event.eventId ? event : { ...event, eventId }
  })
  return { expected, events: normalised }
}

export function checkMaxCount(maxCount: number | undefined): number {
  if (maxCount === undefined) return Infinity
  if (!Number.isInteger(maxCount) || maxCount < 0) throw new TypeError(`maxCount must be a count >= 0, got ${maxCount}`)
  return maxCount
}

/** A batch size is a positive count (a zero would make a reader spin without progress). */
export function checkBatchSize(batchSize: number | undefined, fallback: number): number {
  if (batchSize === undefined) return fallback
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new TypeError(`batchSize must be a count >= 1, got ${batchSize}`)
  return batchSize
}

export interface StreamRange {
  direction: 'forwards' | 'backwards'
  /** Inclusive first revision to read, or null for "nothing to read" (forwards from the end). */
  from: bigint | null
  maxCount: number
}

/** Resolves `from: 'start' | 'end' | bigint` against the direction. */
export function streamRange(options: ReadStreamOptions | undefined): StreamRange {
  const direction = options?.direction ?? 'forwards'
  if (direction !== 'forwards' && direction !== 'backwards') throw new TypeError(`unknown direction ${String(direction)}`)
  const maxCount = checkMaxCount(options?.maxCount)
  const from = options?.from ?? (direction === 'forwards' ? 'start' : 'end')
  if (typeof from === 'bigint') {
    if (from < 0n) throw new TypeError(`readStream from revision ${from} is negative`)
    return { direction, from, maxCount }
  }
  if (from === 'start') return { direction, from: 0n, maxCount }
  if (from === 'end') return { direction, from: direction === 'backwards' ? MAX_INT64 : null, maxCount }
  throw new TypeError(`unknown readStream start ${String(from)}`)
}

/** The largest value of a PostgreSQL bigint; also "the end" of any stream. */
export const MAX_INT64 = 2n ** 63n - 1n
