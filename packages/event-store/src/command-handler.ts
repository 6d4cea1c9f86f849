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
  const maxAttempts = options.expectedRevision === undefined ? (options.maxAttempts ?? 5) : 1
  for (let attempt = 1; ; attempt++) {
    const folded = await foldStream(store, decider, streamId, options.fromStored)
    const current = folded.revision ?? ('no_stream' as const)
    if (options.expectedRevision !== undefined && options.expectedRevision !== current) {
      throw new WrongExpectedRevisionError(streamId, options.expectedRevision, current)
    }
    const context =
      typeof options.context === 'function'
        ? (options.context as (state: State) => Context)(folded.state)
        : options.context
    const decided = decider.decide(command, folded.state, context)
    if (decided.length === 0) {
      return {
        streamId,
        revision: folded.revision ?? -1n,
        position: folded.lastPosition ?? -1n,
        appended: 0,
        state: folded.state,
      }
    }
    const nextRevision = folded.revision === null ? 0n : folded.revision + 1n
    const unsealed = decided.map((event, index) => ({
      eventId: options.eventIds(index),
      ...options.toStored(event),
      metadata: { ...options.metadata, actor: { ...options.metadata.actor } },
    }))
    const sealed = sealEvents(streamId, nextRevision, folded.lastHash, unsealed) as NewEvent[]
    try {
      const appended = await store.append(streamId, sealed, { expectedRevision: current })
      const state = decided.reduce(decider.evolve, folded.state)
      return {
        streamId,
        revision: appended.nextExpectedRevision,
        position: appended.position,
        appended: decided.length,
        state,
      }
    } catch (error) {
      // Someone appended between our read and our write: decide again on the new state, a bounded number of
      // times. Only when the client did not pin a revision with If-Match.
      if (error instanceof WrongExpectedRevisionError && attempt < maxAttempts) continue
      throw error
    }
  }
}
