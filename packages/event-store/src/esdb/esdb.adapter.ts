import {
  BACKWARDS,
  CancelledError,
  END,
  EventStoreDBClient,
  FORWARDS,
  START,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError,
  eventTypeFilter,
  excludeSystemEvents,
  streamNameFilter,
} from '@eventstore/db-client'
import type { Readable } from 'node:stream'
import type { AllStreamResolvedEvent, AppendExpectedRevision, Filter, ResolvedEvent } from '@eventstore/db-client'
import { StoreUnavailableError, WrongExpectedRevisionError } from '../errors.js'
import { matchesFilter } from '../types.js'
import type {
  AppendOptions,
  AppendResult,
  Checkpoint,
  DeliveredEvent,
  EventFilter,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeAllOptions,
  Subscription,
} from '../types.js'
import { checkAppend, checkMaxCount, streamRange } from '../validation.js'
import { fromEsdbEvent, isSystemEvent, positionOf, toBigInt, toEsdbEvent } from './esdb.codec.js'
import type { EsdbRecordedEvent } from './esdb.codec.js'

export interface EsdbEventStoreOptions {
  /** `esdb://host:2113?tls=false`, or the secure forms (`esdb://user:pass@host:2113`, `esdb+discover://…`). */
  connectionString: string
  /**
   * How long an append or a read may wait for the server before it fails with `StoreUnavailableError`
   * (HTTP 503). The client's own reads have no deadline at all. Default 5 s.
   */
  operationTimeoutMs?: number
  /** Deadline of `ping()` (readiness probe). Default 1 s. */
  pingTimeoutMs?: number
  /** Backoff between resubscriptions after a dropped subscription: doubles from `initialDelayMs` to `maxDelayMs`. */
  resubscribe?: { initialDelayMs?: number; maxDelayMs?: number }
  /** Told when a subscription drops and is resumed (a pino logger fits). */
  logger?: { warn(details: object, message: string): void }
}

/** Events fetched per round trip when reading `$all` page by page. */
const PAGE_SIZE = 500

/**
 * After an outage the client can hold on to a connection that failed, and the first call on it fails at once
 * (the client replaces it only then). Such a call is tried once more after this pause: enough to ride over
 * the stale connection, short enough that a real outage still answers within a few hundred milliseconds.
 */
const STALE_RETRY_MS = 50

/**
 * The event store port on EventStoreDB (KurrentDB) through `@eventstore/db-client`.
 *
 * - Positions are `$all` commit positions; they already follow commit order, so checkpoints are
 *   `{ txId: 0n, position }`.
 * - `readAll`/`subscribeAll` read `$all` as a filtered catch-up subscription that leaves out system events
 *   (`$`-types and `$`-streams). Never persistent subscriptions: they do not keep order.
 * - The client does not resubscribe after a dropped subscription; this adapter does, from the last event it
 *   delivered, with backoff, and never delivers an event twice.
 * - An unreachable server answers `StoreUnavailableError` within `operationTimeoutMs`.
 *
 * @example
 * const store = createEsdbEventStore({ connectionString: 'esdb://localhost:2113?tls=false' })
 * await store.append('case-1', events, { expectedRevision: 'no_stream' })
 */
export function createEsdbEventStore(options: EsdbEventStoreOptions): EventStore {
  const timeoutMs = options.operationTimeoutMs ?? 5_000
  const client = EventStoreDBClient.connectionString(withDefaultDeadline(options.connectionString, timeoutMs))
  const pingTimeoutMs = options.pingTimeoutMs ?? 1_000
  const subscriptions = new Set<ResubscribingSubscription>()
  let closed = false

  function assertOpen(): void {
    if (closed) throw new Error('EventStoreDB event store is closed')
  }

  async function append(streamId: string, newEvents: NewEvent[], appendOptions?: AppendOptions): Promise<AppendResult> {
    assertOpen()
    // The same argument checks as every adapter (ids are uuids, lower-cased as EventStoreDB hands them back).
    const { expected, events } = checkAppend(streamId, newEvents, appendOptions)
    const esdbEvents = events.map(toEsdbEvent)
    let result: Awaited<ReturnType<EventStoreDBClient['appendToStream']>>
    try {
      // A re-sent append is safe: EventStoreDB recognises the same event ids at the same place.
      result = await retryOnceIfStale(() =>
        withTimeout(
          client.appendToStream(streamId, esdbEvents, { expectedRevision: toEsdbExpected(expected), deadline: timeoutMs }),
          timeoutMs,
          `append to ${streamId}`,
        ),
      )
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        const actual = error.actualVersion
        throw new WrongExpectedRevisionError(
          streamId,
          expected,
          typeof actual === 'string' ? 'no_stream' : noStreamIfNegative(toBigInt(actual, 'actual revision')),
        )
      }
      throw unavailable(error, `append to ${streamId}`)
    }
    const nextExpectedRevision = toBigInt(result.nextExpectedRevision, 'revision')
    // The server answers with the commit position of the append's LAST event. An idempotent replay of an
    // earlier append may come back without one: look it up then.
    const position =
      result.position !== undefined
        ? toBigInt(result.position.commit, 'commit position')
        : await positionAtRevision(streamId, nextExpectedRevision)
    return { nextExpectedRevision, position }
  }

  async function positionAtRevision(streamId: string, revision: bigint): Promise<bigint> {
    for await (const event of readStream(streamId, { from: revision, direction: 'forwards', maxCount: 1 })) {
      return event.position
    }
    throw new StoreUnavailableError(`${streamId}@${revision} was acknowledged but cannot be read back`)
  }

  async function* readStream(streamId: string, readOptions?: ReadStreamOptions): AsyncGenerator<RecordedEvent> {
    assertOpen()
    const range = streamRange(readOptions)
    if (range.from === null || range.maxCount === 0) return
    const backwards = range.direction === 'backwards'
    const from = readOptions?.from ?? (backwards ? 'end' : 'start')
    for (let attempt = 1; ; attempt++) {
      let yielded = false
      const read = client.readStream(streamId, {
        // EventStoreDB clamps a backwards read from beyond the end to the last event, as the port wants.
        fromRevision: from === 'start' ? START : from === 'end' ? END : from,
        direction: backwards ? BACKWARDS : FORWARDS,
        ...(Number.isFinite(range.maxCount) ? { maxCount: range.maxCount } : {}),
      })
      try {
        for await (const resolved of withIdleTimeout<ResolvedEvent>(read, timeoutMs, `read of ${streamId}`, () => read.cancel())) {
          const event = resolved.event as EsdbRecordedEvent | undefined
          if (!event) continue
          yielded = true
          yield fromEsdbEvent(event, positionOf(event))
        }
        return
      } catch (error) {
        // A stream that was never written is an empty stream, not an error.
        if (error instanceof StreamNotFoundError) return
        if (attempt === 1 && !yielded && isStale(error) && !closed) {
          await sleep(STALE_RETRY_MS)
          continue
        }
        throw unavailable(error, `read of ${streamId}`)
      } finally {
        void read.cancel().catch(() => undefined)
      }
    }
  }

  /**
   * `$all` page by page from a position. A read from a position includes the event AT it, so each page starts
   * at the last event seen and skips it; a page that fails on a stale connection is simply read again.
   */
  async function* readAll(readOptions: ReadAllOptions = {}): AsyncGenerator<DeliveredEvent> {
    assertOpen()
    let after = afterPosition(readOptions.after)
    let remaining = checkMaxCount(readOptions.maxCount)
    if (remaining <= 0) return
    let retried = false
    for (;;) {
      const page = client.readAll({
        fromPosition: after === null ? START : { commit: after, prepare: after },
        direction: FORWARDS,
        maxCount: PAGE_SIZE,
      })
      let seen = 0
      try {
        for await (const resolved of withIdleTimeout<AllStreamResolvedEvent>(page, timeoutMs, 'read of $all', () => page.cancel())) {
          seen++
          const event = resolved.event as EsdbRecordedEvent | undefined
          if (!event) continue
          const position = positionOf(event, resolved.commitPosition)
          if (after !== null && position <= after) continue
          after = position
          if (isSystemEvent(event) || !matchesFilter(readOptions.filter, event.streamId, event.type)) continue
          yield delivered(fromEsdbEvent(event, position))
          if (--remaining <= 0) return
        }
      } catch (error) {
        if (!retried && isStale(error) && !closed) {
          retried = true
          await sleep(STALE_RETRY_MS)
          continue
        }
        throw unavailable(error, 'read of $all')
      } finally {
        void page.cancel().catch(() => undefined)
      }
      if (seen < PAGE_SIZE) return
    }
  }

  function subscribeAll(subscribeOptions: SubscribeAllOptions = {}): Subscription {
    assertOpen()
    checkMaxCount(subscribeOptions.batchSize)
    const subscription = new ResubscribingSubscription(client, subscribeOptions, {
      initialDelayMs: options.resubscribe?.initialDelayMs ?? 100,
      maxDelayMs: options.resubscribe?.maxDelayMs ?? 5_000,
      logger: options.logger,
      onClose: () => subscriptions.delete(subscription),
    })
    subscriptions.add(subscription)
    return subscription
  }

  /** The first event of `$all` at or after `position` (from the start when null), system events included. */
  async function firstOfAll(position: bigint | null, ms: number, what: string): Promise<AllStreamResolvedEvent | null> {
    try {
      return await retryOnceIfStale(async () => {
        const page = client.readAll({
          fromPosition: position === null ? START : { commit: position, prepare: position },
          direction: FORWARDS,
          maxCount: 1,
        })
        try {
          for await (const resolved of withIdleTimeout<AllStreamResolvedEvent>(page, ms, what, () => page.cancel())) {
            return resolved
          }
          return null
        } finally {
          void page.cancel().catch(() => undefined)
        }
      })
    } catch (error) {
      throw unavailable(error, what)
    }
  }

  async function checkpointOf(position: bigint): Promise<Checkpoint | null> {
    assertOpen()
    if (position < 0n) return null
    const resolved = await firstOfAll(position, timeoutMs, 'read of $all')
    const event = resolved?.event as EsdbRecordedEvent | undefined
    if (!event || isSystemEvent(event)) return null
    return positionOf(event, resolved?.commitPosition) === position ? { txId: 0n, position } : null
  }

  async function ping(): Promise<void> {
    assertOpen()
    await firstOfAll(null, pingTimeoutMs, 'ping')
  }

  async function retryOnceIfStale<T>(attempt: () => Promise<T>): Promise<T> {
    try {
      return await attempt()
    } catch (error) {
      if (!isStale(error) || closed) throw error
      await sleep(STALE_RETRY_MS)
      return attempt()
    }
  }

  async function close(): Promise<void> {
    if (closed) return
    closed = true
    await Promise.all([...subscriptions].map((s) => s.close()))
    await client.dispose()
  }

  return { append, readStream, readAll, subscribeAll, checkpointOf, ping, close }
}

/**
 * Catch-up then live over `$all`, resumed after every drop. `lastDelivered` moves only when an event is handed
 * to the consumer, the resubscription starts strictly after it, and anything at or before it is skipped, so an
 * outage neither loses nor repeats an event.
 */
class ResubscribingSubscription implements Subscription {
  private lastDelivered: bigint | null
  private closed = false
  private iterator: AsyncGenerator<DeliveredEvent> | null = null
  private current: ReturnType<EventStoreDBClient['subscribeToAll']> | null = null
  private wakeSleeper: (() => void) | null = null

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly options: SubscribeAllOptions,
    private readonly settings: {
      initialDelayMs: number
      maxDelayMs: number
      logger: EsdbEventStoreOptions['logger']
      onClose: () => void
    },
  ) {
    this.lastDelivered = afterPosition(options.after)
  }

  [Symbol.asyncIterator](): AsyncGenerator<DeliveredEvent> {
    this.iterator ??= this.run()
    return this.iterator
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.settings.onClose()
    this.wakeSleeper?.()
    const current = this.current
    if (current) {
      await current.unsubscribe().catch(() => undefined)
      // Cancelling the call does not end the client's stream; destroying it wakes a consumer waiting on it.
      current.destroy()
    }
  }

  private async *run(): AsyncGenerator<DeliveredEvent> {
    let failures = 0
    try {
      while (!this.closed) {
        const from = this.lastDelivered
        const subscription = this.client.subscribeToAll({
          fromPosition: from === null ? START : { commit: from, prepare: from },
          filter: serverFilter(this.options.filter),
        })
        this.current = subscription
        subscription.on('confirmation', () => {
          failures = 0
        })
        // An event the adapter cannot map (not ours, or a server too old) would fail again after every
        // resubscription: it ends the subscription with its error instead of looping.
        let unmappable: unknown
        try {
          for await (const resolved of subscription as AsyncIterable<AllStreamResolvedEvent>) {
            const event = resolved.event as EsdbRecordedEvent | undefined
            if (!event) continue
            let next: DeliveredEvent | null
            try {
              next = this.map(event, resolved.commitPosition)
            } catch (error) {
              unmappable = error
              break
            }
            if (!next) continue
            this.lastDelivered = next.position
            failures = 0
            yield next
            if (this.closed) return
          }
          if (this.closed) return
          if (unmappable === undefined) {
            this.settings.logger?.warn({ resumeAfter: String(this.lastDelivered) }, 'EventStoreDB ended the $all subscription; resubscribing')
          }
        } catch (error) {
          if (this.closed) return
          // The message only: the client's errors carry two stacks and the raw gRPC status, on every retry.
          this.settings.logger?.warn(
            { reason: error instanceof Error ? error.message : String(error), resumeAfter: String(this.lastDelivered), attempt: failures + 1 },
            'EventStoreDB $all subscription dropped; resubscribing',
          )
        } finally {
          this.current = null
          void subscription.unsubscribe().catch(() => undefined)
        }
        if (unmappable !== undefined) throw unmappable
        if (this.closed) return
        const delay = Math.min(this.settings.maxDelayMs, this.settings.initialDelayMs * 2 ** failures)
        failures++
        await this.sleep(delay)
      }
    } finally {
      if (!this.closed) {
        // The consumer left the loop (`break`): nothing will read this subscription again.
        this.closed = true
        this.settings.onClose()
      }
    }
  }

  /** The event as delivered, or null when it is not for this subscriber or was delivered already. */
  private map(event: EsdbRecordedEvent, commitPosition: bigint | undefined): DeliveredEvent | null {
    const position = positionOf(event, commitPosition)
    if (this.lastDelivered !== null && position <= this.lastDelivered) return null
    // The server-side filter narrows the stream; this check is the one that counts (system events inside a
    // matching stream prefix, servers that ignore a filter).
    if (isSystemEvent(event) || !matchesFilter(this.options.filter, event.streamId, event.type)) return null
    return delivered(fromEsdbEvent(event, position))
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.wakeSleeper = done
    })
  }
}

/**
 * The client's own deadline for its unary calls (server features, plain appends) is 10 s unless the connection
 * string says otherwise; align it with ours so no call outlives the answer we already gave.
 */
function withDefaultDeadline(connectionString: string, ms: number): string {
  if (/[?&]default-?deadline=/i.test(connectionString)) return connectionString
  return `${connectionString}${connectionString.includes('?') ? '&' : '?'}defaultDeadline=${ms}`
}

/** Narrow `$all` on the server: the caller's prefixes, or else everything but system events. */
function serverFilter(filter: EventFilter | undefined): Filter {
  if (filter && 'streamPrefix' in filter && filter.streamPrefix.length > 0) {
    return streamNameFilter({ prefixes: filter.streamPrefix })
  }
  if (filter && 'eventTypePrefix' in filter && filter.eventTypePrefix.length > 0) {
    return eventTypeFilter({ prefixes: filter.eventTypePrefix })
  }
  return excludeSystemEvents()
}

function delivered(event: RecordedEvent): DeliveredEvent {
  return { ...event, checkpoint: { txId: 0n, position: event.position } }
}

/** The position to read strictly after; null for "from the beginning" (START has position -1). */
function afterPosition(after: Checkpoint | undefined): bigint | null {
  return after && after.position >= 0n ? after.position : null
}

function toEsdbExpected(expected: ExpectedRevision): AppendExpectedRevision {
  if (typeof expected === 'bigint') {
    if (expected < 0n) throw new RangeError(`expected revision must be >= 0, got ${expected}`)
    return expected
  }
  return expected // 'any' | 'no_stream' | 'stream_exists' are spelled the same by the client
}

function noStreamIfNegative(revision: bigint): bigint | 'no_stream' {
  return revision < 0n ? 'no_stream' : revision
}

/** A failure of the connection rather than of the request: the server was unreachable or went away mid-call. */
function isStale(error: unknown): boolean {
  return error instanceof UnavailableError || error instanceof CancelledError
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Every failure that is not a domain answer is the store being unavailable (HTTP 503). */
function unavailable(error: unknown, what: string): Error {
  if (error instanceof StoreUnavailableError || error instanceof WrongExpectedRevisionError) return error
  if (error instanceof TypeError || error instanceof RangeError) return error
  const detail = error instanceof Error ? error.message : String(error)
  return new StoreUnavailableError(`EventStoreDB ${what} failed: ${detail}`, { cause: error })
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailableError(`EventStoreDB did not answer the ${what} within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/**
 * Iterate a client stream, failing with `StoreUnavailableError` when the next item takes longer than `ms`.
 * The clock runs only while we wait for the server, never while the consumer works on an item. One timer per
 * read, re-armed for every item, and no promise of our own per item: a read of $all can be thousands of items.
 *
 * A consumer that stops early (it had what it wanted) must not destroy `source`: the client pipes its gRPC call
 * into it, and destroying it unpipes and pauses the call. A call paused with its last answer still buffered never
 * ends, stays in the client's list of open calls, and `client.dispose()` then waits for it forever (seen after
 * `ping`s and `checkpointOf`s, which stop at the first event). Such a read is left undestroyed and drained instead.
 */
async function* withIdleTimeout<T>(
  source: Readable,
  ms: number,
  what: string,
  cancel: () => Promise<void>,
): AsyncGenerator<T> {
  let waiting = true
  let ended = false
  const timer = setTimeout(() => {
    if (!waiting) return
    void cancel().catch(() => undefined)
    source.destroy(new StoreUnavailableError(`EventStoreDB did not answer the ${what} within ${ms} ms`))
  }, ms)
  try {
    for await (const item of source.iterator({ destroyOnReturn: false })) {
      waiting = false
      yield item as T
      waiting = true
      timer.refresh()
    }
    ended = true
  } finally {
    clearTimeout(timer)
    if (!ended && !source.destroyed) source.resume()
  }
}
