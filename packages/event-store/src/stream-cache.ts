import type { Decider } from '@pc/domain'
import { ProblemError } from '@pc/contracts'
import { ZERO_HASH } from '@pc/ledger'
import { handleCommand } from './command-handler.js'
import { WrongExpectedRevisionError } from './errors.js'
import type { EventStore, HandleOptions, HandleResult, StreamHead } from './types.js'

/** Streams a `StreamStateCache` keeps unless told otherwise; a case state is a few KB at most. */
export const STREAM_CACHE_ENTRIES = 1_000

/**
 * A bounded LRU of folded streams (a `Map` keeps insertion order: re-inserting on a hit makes it the newest).
 * Only streams that exist are kept. Owned by whoever serves commands (the command API's plugin), never global.
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
    this.#entries.set(streamId, { revision: head.revision, position: head.position, lastHash: head.lastHash, state: head.state })
    if (this.#entries.size > this.capacity) this.#entries.delete(this.#entries.keys().next().value!)
  }

  forget(streamId: string): void {
    this.#entries.delete(streamId)
  }

  clear(): void {
    this.#entries.clear()
  }
}

export interface CachedHandleOptions<State, Context, Event> extends Omit<HandleOptions<State, Context, Event>, 'head'> {
  /**
   * The stream id was made up just now (a random uuid), so the stream cannot exist yet: decide on the initial
   * state and append with `no_stream` without reading; the store refuses if it does exist after all.
   */
  assumeNew?: boolean
}

/**
 * `handleCommand` in front of a cache of folded streams: a command on a stream found there is decided on the
 * cached head and appended with the cached revision as the expected one — one round trip, no read and no
 * re-validation of a growing stream. An entry may be stale (another process appended since), never wrong: the
 * decision only counts if that append succeeds, which proves the stream was still there. Anything else (a
 * conflict, a refusal, a decision of nothing, which proves no revision) drops it and the plain handler decides on
 * a fresh read, so answers and errors are those of the uncached handler.
 *
 * @example
 * const result = await handleCached(cache, store, caseDecider, streamId, command, { codec, context, metadata, eventIds })
 */
export async function handleCached<Command, Event, State, Context>(
  cache: StreamStateCache<State>,
  store: EventStore,
  decider: Decider<Command, Event, State, Context>,
  streamId: string,
  command: Command,
  options: CachedHandleOptions<State, Context, Event>,
): Promise<HandleResult<State>> {
  const { assumeNew, ...plain } = options
  const fresh: StreamHead<State> = { revision: null, position: null, lastHash: ZERO_HASH, state: decider.initialState }
  const head = cache.get(streamId) ?? (assumeNew && options.expectedRevision === undefined ? fresh : undefined)
  if (head) {
    try {
      const result = await handleCommand(store, decider, streamId, command, { ...plain, head, maxAttempts: 1 })
      if (result.appended > 0) return remembered(cache, result)
    } catch (error) {
      cache.forget(streamId)
      // A refusal or a conflict on a possibly stale head is not the answer: the fresh read below gives it.
      if (!(error instanceof WrongExpectedRevisionError) && !isRefusal(error)) throw error
    }
  }
  try {
    return remembered(cache, await handleCommand(store, decider, streamId, command, plain))
  } catch (error) {
    // The append may have committed unseen (a lost connection): whatever we knew of the stream may be behind.
    cache.forget(streamId)
    throw error
  }
}

function remembered<State>(cache: StreamStateCache<State>, result: HandleResult<State>): HandleResult<State> {
  if (result.revision >= 0n) cache.remember(result.streamId, result)
  return result
}

/** A decider's answer (a rule, access), as opposed to the store failing. */
function isRefusal(error: unknown): boolean {
  return error instanceof ProblemError && error.code !== 'UNAVAILABLE' && error.code !== 'INTERNAL'
}

/**
 * Commands of one process on one stream, one at a time: concurrent ones would all decide on the same cached
 * revision and all but one fail their append. Queued, each finds the state its predecessor left.
 */
export class StreamQueue {
  readonly #running = new Map<string, Promise<unknown>>()

  /** Runs `work` after every earlier `run` on the same stream has settled. */
  async run<T>(streamId: string, work: () => Promise<T>): Promise<T> {
    const run = (this.#running.get(streamId) ?? Promise.resolve()).then(work)
    const settled = run.then(
      () => undefined,
      () => undefined,
    )
    this.#running.set(streamId, settled)
    try {
      return await run
    } finally {
      if (this.#running.get(streamId) === settled) this.#running.delete(streamId)
    }
  }
}
