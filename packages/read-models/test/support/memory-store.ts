import { randomUUID } from 'node:crypto'
import {
  compareCheckpoints,
  matchesFilter,
  type AppendResult,
  type Checkpoint,
  type DeliveredEvent,
  type EventStore,
  type NewEvent,
  type ReadAllOptions,
  type RecordedEvent,
  type SubscribeAllOptions,
  type Subscription,
} from '@pc/event-store'

/**
 * A throw-away in-process event store for the runner's own tests, used only until the real adapter can be
 * wired in. `appendAt` lets a test give an event any checkpoint, to stage commits out of position order.
 */
export class MemoryStore implements EventStore {
  readonly events: DeliveredEvent[] = []
  #nextPosition = 0n
  #nextTx = 1n
  #listeners = new Set<() => void>()

  async append(streamId: string, events: NewEvent[]): Promise<AppendResult> {
    const txId = this.#nextTx++
    let revision = BigInt(this.events.filter((e) => e.streamId === streamId).length)
    let position = -1n
    for (const event of events) {
      position = this.#nextPosition++
      this.#insert({ ...event, streamId, revision: revision++, position, recordedAt: new Date().toISOString(), checkpoint: { txId, position } })
    }
    return { nextExpectedRevision: revision - 1n, position }
  }

  /** Reserves a position now, to be committed later with a higher transaction id (an out-of-order commit). */
  reserve(): { position: bigint; commit: (streamId: string, event: NewEvent, txId: bigint) => void } {
    const position = this.#nextPosition++
    return {
      position,
      commit: (streamId, event, txId) =>
        this.#insert({ ...event, streamId, revision: 0n, position, recordedAt: new Date().toISOString(), checkpoint: { txId, position } }),
    }
  }

  #insert(event: DeliveredEvent): void {
    this.events.push(event)
    this.events.sort((a, b) => compareCheckpoints(a.checkpoint, b.checkpoint))
    for (const listener of this.#listeners) listener()
  }

  async *readStream(streamId: string): AsyncIterable<RecordedEvent> {
    for (const e of this.events) if (e.streamId === streamId) yield e
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<DeliveredEvent> {
    let n = 0
    for (const e of [...this.events]) {
      if (options.after && compareCheckpoints(e.checkpoint, options.after) <= 0) continue
      if (!matchesFilter(options.filter, e.streamId, e.type)) continue
      if (options.maxCount !== undefined && n++ >= options.maxCount) return
      yield e
    }
  }

  subscribeAll(options: SubscribeAllOptions = {}): Subscription {
    let after: Checkpoint | undefined = options.after
    let closed = false
    let wake: (() => void) | null = null
    const listener = () => wake?.()
    this.#listeners.add(listener)
    const store = this
    async function* iterate(): AsyncGenerator<DeliveredEvent> {
      while (!closed) {
        const next = store.events.find((e) => !after || compareCheckpoints(e.checkpoint, after) > 0)
        if (next) {
          after = next.checkpoint
          if (matchesFilter(options.filter, next.streamId, next.type)) yield next
          continue
        }
        await new Promise<void>((resolve) => (wake = resolve))
        wake = null
      }
    }
    const iterator = iterate()
    return {
      [Symbol.asyncIterator]: () => iterator,
      async close() {
        closed = true
        store.#listeners.delete(listener)
        wake?.()
      },
    }
  }

  async checkpointOf(position: bigint): Promise<Checkpoint | null> {
    return this.events.find((e) => e.position === position)?.checkpoint ?? null
  }

  async ping(): Promise<void> {}
  async close(): Promise<void> {}
}

export function newEvent(type: string, data: Record<string, string | number> = {}): NewEvent {
  return {
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    data,
    metadata: {
      actor: { id: 'test', roles: ['staff'] },
      occurredAt: new Date().toISOString(),
      correlationId: randomUUID(),
      causationId: null,
      prevHash: '0'.repeat(64),
      hash: '0'.repeat(64),
    },
  }
}
