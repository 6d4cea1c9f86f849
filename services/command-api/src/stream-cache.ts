import { ZERO_HASH, sealEvents } from '@pc/ledger'
import {
  WrongExpectedRevisionError,
  foldStream,
  type CommandMetadata,
  type DeciderLike,
  type EventCodec,
  type EventStore,
  type HandleResult,
  type JsonObject,
  type NewEvent,
} from '@pc/event-store'

/**
 * The command handler of the command API: `handleCommand` of `@pc/event-store` (read → fold → decide → append
 * with the expected revision, bounded retries), plus a small per-process cache of folded streams so that a
 * command on a stream this process wrote or read a moment ago costs one round trip (the append) instead of
 * two, and no re-read and re-validation of the whole stream (which grows with every note).
 *
 * Why a cached state can be trusted: an entry is a (revision, state) pair that is always true — the fold of a
 * full read, or a true pair plus the events of an append that the store accepted with `expectedRevision` set to
 * exactly that revision. An entry may be stale (another process, or an SLA worker, appended since), never wrong;
 * and a decision taken on it only counts if the append with `expectedRevision: <cached revision>` succeeds, which
 * proves the stream was still at that revision. Anything else (a conflict, a refusal, a command that decides
 * nothing, an If-Match other than the cached revision) drops the speculative decision and runs the ordinary path
 * on a fresh read, so errors, retries and answers are exactly those of `handleCommand`.
 */

/** What the next append to a stream needs: its last revision, chain head and the folded state. */
export interface CachedStream<State> {
  revision: bigint
  position: bigint
  lastHash: string
  state: State
}

/** Streams kept per (store, decider, codec); a case state is a few KB at most. */
export const STREAM_CACHE_ENTRIES = 1_000

/** A bounded LRU of folded streams (a `Map` keeps insertion order: re-inserting on a hit makes it the newest). */
export class StreamStateCache<State> {
  readonly #entries = new Map<string, CachedStream<State>>()

  constructor(readonly capacity: number = STREAM_CACHE_ENTRIES) {}

  get size(): number {
    return this.#entries.size
  }

  get(streamId: string): CachedStream<State> | undefined {
    const entry = this.#entries.get(streamId)
    if (entry) {
      this.#entries.delete(streamId)
      this.#entries.set(streamId, entry)
    }
    return entry
  }

  /** Keeps `entry` unless a later revision of the stream is already known (concurrent requests finish in any order). */
  remember(streamId: string, entry: CachedStream<State>): void {
    const known = this.#entries.get(streamId)
    if (known && known.revision > entry.revision) return
    this.#entries.delete(streamId)
    this.#entries.set(streamId, entry)
    if (this.#entries.size > this.capacity) this.#entries.delete(this.#entries.keys().next().value!)
  }

  forget(streamId: string): void {
    this.#entries.delete(streamId)
  }
}

// One cache per store (tests run several apps on several databases in one process) and per decider and codec
// (the state type and the decoding they imply).
const caches = new WeakMap<EventStore, WeakMap<object, WeakMap<object, StreamStateCache<unknown>>>>()

/** The cache for streams of `store` folded by `decider` through `codec`. */
export function streamCacheFor<State>(store: EventStore, decider: object, codec: object): StreamStateCache<State> {
  let byDecider = caches.get(store)
  if (!byDecider) caches.set(store, (byDecider = new WeakMap()))
  let byCodec = byDecider.get(decider)
  if (!byCodec) byDecider.set(decider, (byCodec = new WeakMap()))
  let cache = byCodec.get(codec)
  if (!cache) byCodec.set(codec, (cache = new StreamStateCache()))
  return cache as StreamStateCache<State>
}

/** A codec that can also decode an event it has just encoded (validated) without validating it again. */
export type CommandCodec<Event> = EventCodec<Event> & {
  fromTrusted?(stored: { type: string; schemaVersion: number; data: JsonObject }): Event
}

export interface CachedHandleOptions<State, Context, Event> {
  codec: CommandCodec<Event>
  cache: StreamStateCache<State>
  /** The decider's context on the state the decision is made on (asked again for every decision). */
  context: (state: State) => Context
  metadata: CommandMetadata
  eventIds: (index: number) => string
  /** The client's `If-Match`: stale → `WrongExpectedRevisionError`, never retried. */
  expectedRevision?: bigint
  /**
   * The stream id was just made up (a random uuid), so the stream almost surely does not exist: decide on the
   * initial state and append with `no_stream` without reading first. The store refuses if it does exist.
   */
  assumeNew?: boolean
  /** False to skip every shortcut and read the stream first (a takeover of an Idempotency-Key). */
  speculate: boolean
  /** Undoes what a dropped speculative decision consumed (new ids handed out by `context`). */
  rewind: () => void
  /** Attempts on a concurrency conflict without `If-Match` (default 5, as `handleCommand`). */
  maxAttempts?: number
}

interface Base<State> {
  revision: bigint | null
  position: bigint | null
  lastHash: string
  state: State
}

// Commands of this process on one stream, one at a time (per store): concurrent ones would all decide on the
// same revision and all but one fail their append, and pg's pool closes the connection of every failed query
// (a new connection costs a fork and a SCRAM handshake). Queued, each finds the state its predecessor left.
const running = new WeakMap<EventStore, Map<string, Promise<unknown>>>()

async function oneAtATime<T>(store: EventStore, streamId: string, work: () => Promise<T>): Promise<T> {
  let byStream = running.get(store)
  if (!byStream) running.set(store, (byStream = new Map()))
  const run = (byStream.get(streamId) ?? Promise.resolve()).then(work)
  const settled = run.then(
    () => undefined,
    () => undefined,
  )
  byStream.set(streamId, settled)
  try {
    return await run
  } finally {
    if (byStream.get(streamId) === settled) byStream.delete(streamId)
  }
}

/** `handleCommand` with the stream cache (see the top of this file). Same result, same errors. */
export function handleCommandCached<Command, Event, State, Context>(
  store: EventStore,
  decider: DeciderLike<Command, Event, State, Context>,
  streamId: string,
  command: Command,
  options: CachedHandleOptions<State, Context, Event>,
): Promise<HandleResult<State>> {
  return oneAtATime(store, streamId, () => handle(store, decider, streamId, command, options))
}

async function handle<Command, Event, State, Context>(
  store: EventStore,
  decider: DeciderLike<Command, Event, State, Context>,
  streamId: string,
  command: Command,
  options: CachedHandleOptions<State, Context, Event>,
): Promise<HandleResult<State>> {
  const { cache, expectedRevision } = options
  if (options.speculate) {
    const cached = cache.get(streamId)
    const base: Base<State> | undefined =
      cached ??
      (options.assumeNew && expectedRevision === undefined
        ? { revision: null, position: null, lastHash: ZERO_HASH, state: decider.initialState }
        : undefined)
    if (base && (expectedRevision === undefined || expectedRevision === base.revision)) {
      const result = await speculate(store, decider, streamId, command, options, base)
      if (result) return result
      // The cached state was stale (or the decision needs a fresh look): forget it, and decide again as if this
      // attempt had never been made.
      cache.forget(streamId)
      options.rewind()
    }
  }

  const maxAttempts = expectedRevision === undefined ? (options.maxAttempts ?? 5) : 1
  for (let attempt = 1; ; attempt++) {
    const folded = await foldStream(store, decider, streamId, options.codec.fromStored)
    if (folded.revision !== null && folded.lastPosition !== null) {
      cache.remember(streamId, { revision: folded.revision, position: folded.lastPosition, lastHash: folded.lastHash, state: folded.state })
    }
    const current = folded.revision ?? ('no_stream' as const)
    if (expectedRevision !== undefined && expectedRevision !== current) {
      throw new WrongExpectedRevisionError(streamId, expectedRevision, current)
    }
    const decided = decider.decide(command, folded.state, options.context(folded.state))
    if (decided.length === 0) {
      return { streamId, revision: folded.revision ?? -1n, position: folded.lastPosition ?? -1n, appended: 0, state: folded.state }
    }
    const base = { revision: folded.revision, position: folded.lastPosition, lastHash: folded.lastHash, state: folded.state }
    try {
      return await append(store, decider, streamId, options, base, decided)
    } catch (error) {
      // Someone appended between our read and our write: decide again on the new state, a bounded number of
      // times. Only when the client did not pin a revision with If-Match.
      if (error instanceof WrongExpectedRevisionError && attempt < maxAttempts) continue
      throw error
    }
  }
}

/** A decision on `base` that only stands if the store accepts it at exactly `base.revision`; else null. */
async function speculate<Command, Event, State, Context>(
  store: EventStore,
  decider: DeciderLike<Command, Event, State, Context>,
  streamId: string,
  command: Command,
  options: CachedHandleOptions<State, Context, Event>,
  base: Base<State>,
): Promise<HandleResult<State> | null> {
  let decided: Event[]
  try {
    decided = decider.decide(command, base.state, options.context(base.state))
  } catch {
    // A refusal on a possibly stale state is not an answer: the fresh read decides.
    return null
  }
  // Nothing to append proves nothing about the revision: the fresh read answers it.
  if (decided.length === 0) return null
  try {
    return await append(store, decider, streamId, options, base, decided)
  } catch (error) {
    if (error instanceof WrongExpectedRevisionError) return null
    throw error
  }
}

/** Seals and appends `decided` on top of `base`; remembers the stream after it. */
async function append<Command, Event, State, Context>(
  store: EventStore,
  decider: DeciderLike<Command, Event, State, Context>,
  streamId: string,
  options: CachedHandleOptions<State, Context, Event>,
  base: Base<State>,
  decided: Event[],
): Promise<HandleResult<State>> {
  const { codec, metadata } = options
  const nextRevision = base.revision === null ? 0n : base.revision + 1n
  const unsealed = decided.map((event, index) => ({
    eventId: options.eventIds(index),
    ...codec.toStored(event),
    metadata: { ...metadata, actor: { ...metadata.actor } },
  }))
  const sealed = sealEvents(streamId, nextRevision, base.lastHash, unsealed) as NewEvent[]
  let appended
  try {
    appended = await store.append(streamId, sealed, { expectedRevision: base.revision ?? 'no_stream' })
  } catch (error) {
    // The append may have committed unseen (a lost connection): whatever we knew of the stream may be behind.
    options.cache.forget(streamId)
    throw error
  }
  // The state a fresh read would fold: the stored form of the new events, decoded by the codec (`toStored` has
  // just validated them, so `fromTrusted` only upcasts).
  let state = base.state
  sealed.forEach((event, index) => {
    const decoded = codec.fromTrusted
      ? codec.fromTrusted(event)
      : codec.fromStored({ ...event, streamId, revision: nextRevision + BigInt(index), position: appended.position, recordedAt: metadata.occurredAt })
    state = decider.evolve(state, decoded)
  })
  if (options.speculate) {
    options.cache.remember(streamId, {
      revision: appended.nextExpectedRevision,
      position: appended.position,
      lastHash: sealed[sealed.length - 1]!.metadata.hash,
      state,
    })
  } else {
    // A takeover: the store may have answered an earlier append of this key's events (written at another
    // moment, so not exactly the events decided here). Let the next command read the stream.
    options.cache.forget(streamId)
  }
  return { streamId, revision: appended.nextExpectedRevision, position: appended.position, appended: decided.length, state }
}
