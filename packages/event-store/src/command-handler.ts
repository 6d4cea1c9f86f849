import { ZERO_HASH, sealEvents } from '@pc/ledger'
import { WrongExpectedRevisionError } from './errors.js'
import type { Actor, EventStore, JsonObject, NewEvent, RecordedEvent } from './types.js'

/**
 * The one generic command handler: read the stream, fold `evolve`, `decide`, append with the expected revision.
 * Every command of every context goes through here (the decider pattern's five lines, plus the hash chain and a
 * bounded retry).
 *
 * @example
 * const result = await handleCommand(store, caseDecider, `case-${id}`, command, {
 *   context: { now, slaPolicy },
 *   metadata: { actor, correlationId, causationId: null, occurredAt: now },
 *   toStored: caseCodec.toStored, fromStored: caseCodec.fromStored,
 * })
 */
export interface DeciderLike<Command, Event, State, Context> {
  readonly initialState: State
  decide(command: Command, state: State, context: Context): Event[]
  evolve(state: State, event: Event): State
}

/** Maps a domain event to what is stored (type, schema version, JSON data) and back (upcasting old versions). */
export interface EventCodec<Event> {
  toStored(event: Event): { type: string; schemaVersion: number; data: JsonObject }
  fromStored(event: RecordedEvent): Event
  /** Decodes what `toStored` has just made (and validated) without validating it again: upcasting only. */
  fromTrusted?(stored: { type: string; schemaVersion: number; data: JsonObject }): Event
}

export interface CommandMetadata {
  actor: Actor
  occurredAt: string
  correlationId: string
  causationId: string | null
  idempotencyKey?: string
}

export interface HandleOptions<State, Context, Event> extends EventCodec<Event> {
  /** The decider's context, or a function of the folded state (for example a policy chosen by the case kind). */
  context: Context | ((state: State) => Context)
  metadata: CommandMetadata
  /**
   * The client's `If-Match` revision: a stale one fails with `WrongExpectedRevisionError` and is never retried,
   * because the client decided on a state that no longer exists.
   */
  expectedRevision?: bigint | 'no_stream'
  /** Event ids for the new events; derive them from an idempotency key so a retried command appends nothing new. */
  eventIds: (index: number) => string
  /** Attempts on a concurrency conflict when the client sent no `If-Match` (default 5). */
  maxAttempts?: number
  /**
   * Folded streams kept between commands (a long-lived process's own, see `StreamStateCache`). A command on a
   * stream found there is decided on the cached state and appended with the cached revision as the expected one:
   * one round trip, no read and no re-validation of a growing stream. An entry may be stale (another process
   * appended since), never wrong, and a decision on it only counts if that append succeeds, which proves the
   * stream was still there. Anything else (a conflict, a refusal, a command that decides nothing, an
   * `expectedRevision` other than the cached one) drops that decision and runs the ordinary path on a fresh read,
   * so answers and errors are those of the uncached handler.
   */
  cache?: StreamStateCache<State>
  /**
   * With `cache`: the stream id was made up just now (a random uuid), so the stream cannot exist yet. Decide on
   * the initial state and append with `no_stream` without reading first; the store refuses if it does exist.
   */
  assumeNew?: boolean
  /** With `cache`: undoes what a dropped cached decision consumed (new ids handed out by `context`). */
  rewind?: () => void
}

export interface HandleResult<State> {
  streamId: string
  /** The stream's revision after the command (unchanged when the command decided nothing). */
  revision: bigint
  /** Global position of the last event appended, or of the stream's last event when nothing was appended. */
  position: bigint
  appended: number
  state: State
}

export interface FoldedStream<State> {
  state: State
  revision: bigint | null
  lastHash: string
  lastPosition: bigint | null
}

/** Reads a stream and folds it into state, remembering what the next append needs (revision, chain head). */
export async function foldStream<Command, Event, State, Context>(
  store: EventStore,
  decider: DeciderLike<Command, Event, State, Context>,
  streamId: string,
  fromStored: (event: RecordedEvent) => Event,
): Promise<FoldedStream<State>> {
  let state = decider.initialState
  let revision: bigint | null = null
  let lastHash = ZERO_HASH
  let lastPosition: bigint | null = null
  for await (const event of store.readStream(streamId)) {
    state = decider.evolve(state, fromStored(event))
    revision = event.revision
    lastHash = event.metadata.hash
    lastPosition = event.position
  }
  return { state, revision, lastHash, lastPosition }
}

export async function handleCommand<Command, Event, State, Context>(
  store: EventStore,
  decider: DeciderLike<Command, Event, State, Context>,
  streamId: string,
  command: Command,
  options: HandleOptions<State, Context, Event>,
): Promise<HandleResult<State>> {
  const { cache, expectedRevision } = options
  if (cache) {
    const base: StreamHead<State> | undefined =
      cache.get(streamId) ??
      (options.assumeNew && expectedRevision === undefined
        ? { revision: null, position: null, lastHash: ZERO_HASH, state: decider.initialState }
        : undefined)
    if (base && (expectedRevision === undefined || expectedRevision === (base.revision ?? 'no_stream'))) {
      const result = await decideOnCached(store, decider, streamId, command, options, base)
      if (result) return result
      // Stale, or the decision needs a fresh look: decide again as if this attempt had never been made.
      cache.forget(streamId)
      options.rewind?.()
    }
  }

  const maxAttempts = expectedRevision === undefined ? (options.maxAttempts ?? 5) : 1
  for (let attempt = 1; ; attempt++) {
    const folded = await foldStream(store, decider, streamId, options.fromStored)
    const base: StreamHead<State> = {
      revision: folded.revision,
      position: folded.lastPosition,
      lastHash: folded.lastHash,
      state: folded.state,
    }
    if (cache) cache.remember(streamId, base)
    const current = folded.revision ?? ('no_stream' as const)
    if (expectedRevision !== undefined && expectedRevision !== current) {
      throw new WrongExpectedRevisionError(streamId, expectedRevision, current)
    }
    const decided = decider.decide(command, folded.state, contextOf(options, folded.state))
    if (decided.length === 0) {
      return {
        streamId,
        revision: folded.revision ?? -1n,
        position: folded.lastPosition ?? -1n,
        appended: 0,
        state: folded.state,
      }
    }
    try {
      return await appendDecided(store, decider, streamId, options, base, decided)
    } catch (error) {
      // Someone appended between our read and our write: decide again on the new state, a bounded number of
      // times. Only when the client did not pin a revision with If-Match.
      if (error instanceof WrongExpectedRevisionError && attempt < maxAttempts) continue
      throw error
    }
  }
}

function contextOf<State, Context, Event>(options: HandleOptions<State, Context, Event>, state: State): Context {
  return typeof options.context === 'function' ? (options.context as (state: State) => Context)(state) : options.context
}

/** A decision on a cached head that only stands if the store accepts it at exactly that revision; else null. */
async function decideOnCached<Command, Event, State, Context>(
  store: EventStore,
  decider: DeciderLike<Command, Event, State, Context>,
  streamId: string,
  command: Command,
  options: HandleOptions<State, Context, Event>,
  base: StreamHead<State>,
): Promise<HandleResult<State> | null> {
  let decided: Event[]
  try {
    decided = decider.decide(command, base.state, contextOf(options, base.state))
  } catch {
    // A refusal on a possibly stale state is not an answer: the fresh read decides.
    return null
  }
  // Nothing to append proves nothing about the revision: the fresh read answers it.
  if (decided.length === 0) return null
  try {
    return await appendDecided(store, decider, streamId, options, base, decided)
  } catch (error) {
    if (error instanceof WrongExpectedRevisionError) return null
    throw error
  }
}

/** Seals `decided` onto the hash chain after `base`, appends it expecting `base.revision`, and folds it in. */
async function appendDecided<Command, Event, State, Context>(
  store: EventStore,
  decider: DeciderLike<Command, Event, State, Context>,
  streamId: string,
  options: HandleOptions<State, Context, Event>,
  base: StreamHead<State>,
  decided: Event[],
): Promise<HandleResult<State>> {
  const { cache, metadata } = options
  const nextRevision = base.revision === null ? 0n : base.revision + 1n
  const unsealed = decided.map((event, index) => ({
    eventId: options.eventIds(index),
    ...options.toStored(event),
    metadata: { ...metadata, actor: { ...metadata.actor } },
  }))
  const sealed = sealEvents(streamId, nextRevision, base.lastHash, unsealed) as NewEvent[]
  let appended
  try {
    appended = await store.append(streamId, sealed, { expectedRevision: base.revision ?? 'no_stream' })
  } catch (error) {
    // The append may have committed unseen (a lost connection): whatever we knew of the stream may be behind.
    cache?.forget(streamId)
    throw error
  }
  let state: State
  if (cache) {
    // What is cached must be what a fresh read would fold: the stored form of the new events, decoded.
    state = sealed.reduce((folded, event, index) => {
      const decoded = options.fromTrusted
        ? options.fromTrusted(event)
        : options.fromStored({ ...event, streamId, revision: nextRevision + BigInt(index), position: appended.position, recordedAt: metadata.occurredAt })
      return decider.evolve(folded, decoded)
    }, base.state)
    cache.remember(streamId, {
      revision: appended.nextExpectedRevision,
      position: appended.position,
      lastHash: sealed[sealed.length - 1]!.metadata.hash,
      state,
    })
  } else {
    state = decided.reduce(decider.evolve, base.state)
  }
  return { streamId, revision: appended.nextExpectedRevision, position: appended.position, appended: decided.length, state }
}

/** Where a stream stood after a fold: what the next append needs (revision, chain head) and the folded state. */
export interface StreamHead<State> {
  /** Null for a stream that does not exist. */
  revision: bigint | null
  position: bigint | null
  lastHash: string
  state: State
}

/** Streams a `StreamStateCache` keeps unless told otherwise; a case state is a few KB at most. */
export const STREAM_CACHE_ENTRIES = 1_000

/**
 * A bounded LRU of folded streams for `handleCommand`'s `cache` (a `Map` keeps insertion order: re-inserting on a
 * hit makes it the newest). Only streams that exist are kept.
 */
export class StreamStateCache<State> {
  readonly #entries = new Map<string, StreamHead<State> & { revision: bigint }>()

  constructor(readonly capacity: number = STREAM_CACHE_ENTRIES) {}

  get size(): number {
    return this.#entries.size
  }

  get(streamId: string): StreamHead<State> | undefined {
    const entry = this.#entries.get(streamId)
    if (entry) {
      this.#entries.delete(streamId)
      this.#entries.set(streamId, entry)
    }
    return entry
  }

  /** Keeps `head` unless a later revision of the stream is already known (concurrent commands end in any order). */
  remember(streamId: string, head: StreamHead<State>): void {
    if (head.revision === null) return
    const known = this.#entries.get(streamId)
    if (known && known.revision > head.revision) return
    this.#entries.delete(streamId)
    this.#entries.set(streamId, { ...head, revision: head.revision })
    if (this.#entries.size > this.capacity) this.#entries.delete(this.#entries.keys().next().value!)
  }

  forget(streamId: string): void {
    this.#entries.delete(streamId)
  }
}
