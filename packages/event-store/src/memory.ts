import { DuplicateEventIdError, WrongExpectedRevisionError } from './errors.js'
import {
  compareCheckpoints,
  matchesFilter,
  START,
  type AppendOptions,
  type AppendResult,
  type Checkpoint,
  type DeliveredEvent,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeAllOptions,
  type Subscription,
} from './types.js'
import { checkAppend, checkBatchSize, checkMaxCount, streamRange } from './validation.js'

/**
 * An event store held in process memory, for decider-level and projection tests. It keeps the port's semantics
 * (expected revisions, idempotent retries, filters, catch-up then live) but nothing survives the process.
 * Appends are atomic because they never yield to the event loop, so delivery order is simply append order and
 * every checkpoint has `txId = 0n`.
 *
 * @example
 * const store = createMemoryEventStore()
 * await store.append('case-1', [event], { expectedRevision: 'no_stream' })
 * for await (const e of store.readStream('case-1')) console.log(e.revision)
 */
export interface MemoryEventStore extends EventStore {
  /** The next event gets a position strictly greater than `position` (tests use it to go beyond 2^53). */
  setGlobalPosition(position: bigint): void
}

interface Located {
  streamId: string
  revision: bigint
  position: bigint
}

export function createMemoryEventStore(): MemoryEventStore {
  const log: DeliveredEvent[] = []
  const streams = new Map<string, DeliveredEvent[]>()
  const ids = new Map<string, Located>()
  const subscriptions = new Set<MemorySubscription>()
  let nextPosition = 0n
  let closed = false

  function assertOpen(): void {
    if (closed) throw new Error('memory event store is closed')
  }

  /** The original result when this exact append was already made, or null when none of its ids is stored. */
  function retried(streamId: string, expected: ExpectedRevision, events: NewEvent[]): AppendResult | null {
    const found = events.map((e) => ids.get(e.eventId))
    const firstFound = found.findIndex((f) => f !== undefined)
    if (firstFound === -1) return null
    const base = found[0]?.revision
    const samePlace =
      base !== undefined &&
      found.every((f, i) => f !== undefined && f.streamId === streamId && f.revision === base + BigInt(i)) &&
      (expected === 'no_stream' ? base === 0n : typeof expected === 'bigint' ? base === expected + 1n : true)
    if (!samePlace) throw new DuplicateEventIdError(events[firstFound]!.eventId, streamId)
    const last = found[found.length - 1]!
    return { nextExpectedRevision: last.revision, position: last.position }
  }

  async function append(streamId: string, newEvents: NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    assertOpen()
    const { expected, events } = checkAppend(streamId, newEvents, options)
    const again = retried(streamId, expected, events)
    if (again) return again
    const stream = streams.get(streamId) ?? []
    const current = stream.length === 0 ? ('no_stream' as const) : BigInt(stream.length - 1)
    const ok =
      expected === 'any' ||
      (expected === 'no_stream' && current === 'no_stream') ||
      (expected === 'stream_exists' && current !== 'no_stream') ||
      (typeof expected === 'bigint' && current === expected)
    if (!ok) throw new WrongExpectedRevisionError(streamId, expected, current)
    const recordedAt = new Date().toISOString()
    let revision = BigInt(stream.length)
    for (const event of events) {
      const position = nextPosition++
      const recorded: DeliveredEvent = {
        eventId: event.eventId,
        type: event.type,
        schemaVersion: event.schemaVersion,
        data: structuredClone(event.data),
        metadata: structuredClone(event.metadata),
        streamId,
        revision,
        position,
        recordedAt,
        checkpoint: { txId: 0n, position },
      }
      stream.push(recorded)
      log.push(recorded)
      ids.set(event.eventId, { streamId, revision, position })
      revision++
    }
    streams.set(streamId, stream)
    for (const subscription of subscriptions) subscription.wake()
    const last = stream[stream.length - 1]!
    return { nextExpectedRevision: last.revision, position: last.position }
  }

  async function* readStream(streamId: string, options?: ReadStreamOptions): AsyncGenerator<RecordedEvent> {
    assertOpen()
    const { direction, from, maxCount } = streamRange(options)
    const stream = streams.get(streamId) ?? []
    if (from === null || stream.length === 0) return
    // Walk array indices (numbers) and compare revisions as bigints; a revision never becomes a number.
    const step = direction === 'forwards' ? 1 : -1
    let index =
      direction === 'backwards' && from >= BigInt(stream.length)
        ? stream.length - 1
        : stream.findIndex((e) => e.revision === from)
    if (index === -1) return
    for (let count = 0; count < maxCount && index >= 0 && index < stream.length; count++, index += step) {
      const { checkpoint: _checkpoint, ...event } = copy(stream[index]!)
      yield event
    }
  }

  /** Index of the first logged event strictly after `after` (the log is sorted by checkpoint). */
  function indexAfter(after: Checkpoint): number {
    let low = 0
    let high = log.length
    while (low < high) {
      const mid = (low + high) >>> 1
      if (compareCheckpoints(log[mid]!.checkpoint, after) <= 0) low = mid + 1
      else high = mid
    }
    return low
  }

  async function* readAll(options?: ReadAllOptions): AsyncGenerator<DeliveredEvent> {
    assertOpen()
    const maxCount = checkMaxCount(options?.maxCount)
    let count = 0
    for (let i = indexAfter(options?.after ?? START); i < log.length && count < maxCount; i++) {
      const event = log[i]!
      if (!matchesFilter(options?.filter, event.streamId, event.type)) continue
      count++
      yield copy(event)
    }
  }

  class MemorySubscription implements Subscription {
    #closed = false
    #wake: (() => void) | null = null
    #iterator: AsyncGenerator<DeliveredEvent> | null = null

    constructor(private readonly options: SubscribeAllOptions | undefined) {}

    wake(): void {
      this.#wake?.()
    }

    [Symbol.asyncIterator](): AsyncGenerator<DeliveredEvent> {
      this.#iterator ??= this.#run()
      return this.#iterator
    }

    async *#run(): AsyncGenerator<DeliveredEvent> {
      let next = indexAfter(this.options?.after ?? START)
      try {
        while (!this.#closed) {
          while (next < log.length && !this.#closed) {
            const event = log[next++]!
            if (matchesFilter(this.options?.filter, event.streamId, event.type)) yield copy(event)
          }
          if (this.#closed) return
          await new Promise<void>((resolve) => (this.#wake = resolve))
          this.#wake = null
        }
      } finally {
        subscriptions.delete(this)
      }
    }

    async close(): Promise<void> {
      this.#closed = true
      this.wake()
      subscriptions.delete(this)
      await this.#iterator?.return(undefined)
    }
  }

  return {
    append,
    readStream,
    readAll,
    subscribeAll(options) {
      assertOpen()
      checkBatchSize(options?.batchSize, 1)
      const subscription = new MemorySubscription(options)
      subscriptions.add(subscription)
      return subscription
    },
    async checkpointOf(position) {
      const event = log.find((e) => e.position === position)
      return event ? { ...event.checkpoint } : null
    },
    async ping() {
      assertOpen()
    },
    async close() {
      closed = true
      await Promise.all([...subscriptions].map((s) => s.close()))
    },
    setGlobalPosition(position) {
      if (position + 1n > nextPosition) nextPosition = position + 1n
    },
  }
}

/** Readers get their own copy, so a consumer that mutates an event cannot change the log. */
function copy(event: DeliveredEvent): DeliveredEvent {
  return {
    ...event,
    data: structuredClone(event.data),
    metadata: structuredClone(event.metadata),
    checkpoint: { ...event.checkpoint },
  }
}
