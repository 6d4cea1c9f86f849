/**
 * The event store port (DESIGN §3). Every adapter — PostgreSQL, EventStoreDB, in-memory — gives these
 * exact semantics; the contract suite (`@pc/testing/event-store-contract`) proves it.
 *
 * Revisions and positions are `bigint` everywhere they travel: a JavaScript `number` silently loses
 * precision above 2^53, and a lost bit in a global position is a skipped or repeated event.
 */

/** A JSON value as stored in an event's `data`. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
export type JsonObject = { [key: string]: Json }

/**
 * `'any'` appends whatever the stream holds; `'no_stream'` only to a stream that does not exist;
 * `'stream_exists'` only to one that does; a bigint only when the stream's last revision is exactly that.
 */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint

/** Who caused an event. `system:sla` and the like are actors too. */
export interface Actor {
  id: string
  roles: string[]
}

/** Metadata carried by every event (DESIGN §3 envelope). `prevHash`/`hash` form the per-stream chain (§6). */
export interface EventMetadata {
  actor: Actor
  occurredAt: string
  correlationId: string
  causationId: string | null
  idempotencyKey?: string
  prevHash: string
  hash: string
  [key: string]: Json | Actor | undefined
}

/** An event as handed to `append`. */
export interface NewEvent<Type extends string = string, Data extends JsonObject = JsonObject> {
  eventId: string
  type: Type
  schemaVersion: number
  data: Data
  metadata: EventMetadata
}

/** An event as stored and read back. */
export interface RecordedEvent<Type extends string = string, Data extends JsonObject = JsonObject>
  extends NewEvent<Type, Data> {
  streamId: string
  /** 0-based revision inside its stream. */
  revision: bigint
  /** Global position; unique and increasing with insertion, but NOT necessarily commit order. */
  position: bigint
  /** ISO time the store recorded it. */
  recordedAt: string
}

export interface AppendResult {
  /** Revision of the last event appended (the stream's new revision). */
  nextExpectedRevision: bigint
  /** Global position of the last event appended. */
  position: bigint
}

export interface AppendOptions {
  expectedRevision?: ExpectedRevision
}

export interface ReadStreamOptions {
  /** Revision to start at (inclusive); default: the start (forwards) or the end (backwards). */
  from?: bigint | 'start' | 'end'
  direction?: 'forwards' | 'backwards'
  /** A count of events, not a revision. */
  maxCount?: number
}

/** Filter on stream-id prefixes or on event-type prefixes; an event matches if any prefix in the list matches. */
export type EventFilter =
  | { streamPrefix: string[] }
  | { eventTypePrefix: string[] }

/**
 * Where a reader of `$all` stands, in DELIVERY order. On PostgreSQL delivery order is the pair
 * (transaction id, position) — a bare position cannot express "everything before me has committed" when
 * concurrent transactions commit out of sequence order. Stores whose positions are already in commit order
 * (EventStoreDB) use `txId = 0n`. Compare with `compareCheckpoints`.
 */
export interface Checkpoint {
  txId: bigint
  position: bigint
}

export interface ReadAllOptions {
  /** Start strictly after this checkpoint; default: from the beginning. */
  after?: Checkpoint
  filter?: EventFilter
  maxCount?: number
}

/** A delivered event with the checkpoint a consumer stores once it has applied it. */
export interface DeliveredEvent extends RecordedEvent {
  checkpoint: Checkpoint
}

export interface SubscribeAllOptions {
  /** Resume strictly after this checkpoint; default: from the beginning. */
  after?: Checkpoint
  filter?: EventFilter
  /** Events fetched per round trip while catching up. */
  batchSize?: number
}

/**
 * Catch-up then live. Iterate with `for await`; `close()` ends the iteration. Every event that is ever
 * committed is delivered exactly once, in delivery order (per stream that is also revision order).
 */
export interface Subscription extends AsyncIterable<DeliveredEvent> {
  close(): Promise<void>
}

export interface EventStore {
  /** Atomic: all events are appended or none. Throws `WrongExpectedRevisionError` on a mismatch. */
  append(streamId: string, events: NewEvent[], options?: AppendOptions): Promise<AppendResult>
  readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent>
  readAll(options?: ReadAllOptions): AsyncIterable<DeliveredEvent>
  subscribeAll(options?: SubscribeAllOptions): Subscription
  /**
   * The checkpoint the event at `position` has (or will have) in delivery order, or null if no event
   * is stored there. `waitFor=<position>` means "compareCheckpoints(checkpointOf(p), projectionCheckpoint) <= 0".
   */
  checkpointOf(position: bigint): Promise<Checkpoint | null>
  /** Throws if the store is unreachable. Used by `/health/ready`. */
  ping(): Promise<void>
  close(): Promise<void>
}

/** Lexicographic order on (txId, position): negative if a comes first in delivery order. */
export function compareCheckpoints(a: Checkpoint, b: Checkpoint): -1 | 0 | 1 {
  if (a.txId !== b.txId) return a.txId < b.txId ? -1 : 1
  if (a.position !== b.position) return a.position < b.position ? -1 : 1
  return 0
}

/** The checkpoint before every event. */
export const START: Checkpoint = Object.freeze({ txId: -1n, position: -1n })

/** Checkpoints travel through JSON and SQL as decimal strings, never as numbers. */
export function checkpointToString(c: Checkpoint): string {
  return `${c.txId}:${c.position}`
}

export function checkpointFromString(s: string): Checkpoint {
  const m = /^(-?\d+):(-?\d+)$/.exec(s)
  if (!m) throw new TypeError(`not a checkpoint: ${s}`)
  return { txId: BigInt(m[1]!), position: BigInt(m[2]!) }
}

export function matchesFilter(filter: EventFilter | undefined, streamId: string, type: string): boolean {
  if (!filter) return true
  if ('streamPrefix' in filter) return filter.streamPrefix.some((p) => streamId.startsWith(p))
  return filter.eventTypePrefix.some((p) => type.startsWith(p))
}

/** Maps a domain event to what is stored (type, schema version, JSON data) and back (upcasting old versions). */
export interface EventCodec<Event> {
  toStored(event: Event): { type: string; schemaVersion: number; data: JsonObject }
  fromStored(event: Pick<RecordedEvent, 'type' | 'schemaVersion' | 'data'>): Event
  /** Decodes what `toStored` has just made (and validated) without validating it again: upcasting only. */
  fromTrusted?(stored: { type: string; schemaVersion: number; data: JsonObject }): Event
}

/** What a command handler writes into every event's metadata besides the hash chain. */
export interface CommandMetadata {
  actor: Actor
  occurredAt: string
  correlationId: string
  causationId: string | null
  idempotencyKey?: string
}

/** Where a stream stands: what the next append needs (revision, chain head) and the folded state. */
export interface StreamHead<State> {
  /** Null for a stream that does not exist. */
  revision: bigint | null
  position: bigint | null
  lastHash: string
  state: State
}

export interface HandleOptions<State, Context, Event> {
  codec: EventCodec<Event>
  /** The decider's context on the state decided on (asked again on every attempt). */
  context: (state: State) => Context
  metadata: CommandMetadata
  /** Ids of the new events; derived from an idempotency key, a retried command appends nothing new. */
  eventIds: (index: number) => string
  /** The client's `If-Match`: checked, never retried (the client decided on a state that is gone). */
  expectedRevision?: bigint | 'no_stream'
  /** Attempts on a concurrent write when no revision is pinned (default 5). */
  maxAttempts?: number
  /** Decide on this head instead of reading the stream (once; a conflict reads afresh). */
  head?: StreamHead<State>
}

export interface HandleResult<State> {
  streamId: string
  /** The stream's revision after the command; -1 for a stream that does not exist (nothing decided on none). */
  revision: bigint
  /** Position of the last event appended, or of the stream's last event when nothing was appended; -1 for none. */
  position: bigint
  /** The chain head after the command. */
  lastHash: string
  state: State
  appended: number
}
