import { ProblemError } from '@pc/contracts'
import type { Decider } from '@pc/domain'
import { ZERO_HASH, sealEvents } from '@pc/ledger'
import { WrongExpectedRevisionError } from './errors.js'
import type { EventCodec, EventStore, HandleOptions, HandleResult, NewEvent, RecordedEvent, StreamHead } from './types.js'

/** Reads a stream and folds it, stopping before the first event `until` accepts. */
export async function foldStream<State, Event>(
  store: Pick<EventStore, 'readStream'>,
  decider: Pick<Decider<unknown, Event, State, unknown>, 'initialState' | 'evolve'>,
  codec: EventCodec<Event>,
  streamId: string,
  until?: (event: RecordedEvent) => boolean,
): Promise<StreamHead<State>> {
  const head: StreamHead<State> = { revision: null, position: null, lastHash: ZERO_HASH, state: decider.initialState }
  for await (const event of store.readStream(streamId)) {
    if (until?.(event)) break
    Object.assign(head, { revision: event.revision, position: event.position, lastHash: event.metadata.hash })
    head.state = decider.evolve(head.state, codec.fromStored(event))
  }
  return head
}

/**
 * A stale `If-Match` is answered 409 — unless the caller may not act on this stream at all: access is decided
 * first, so a resident probing another resident's case with revisions learns nothing from which one is not 409.
 * (`decide` is pure: calling it on the current state only to hear its access verdict has no effect.)
 */
function refuseStale(decide: () => unknown, stale: WrongExpectedRevisionError): never {
  try {
    decide()
  } catch (error) {
    if (error instanceof ProblemError && (error.code === 'FORBIDDEN' || error.code === 'NOT_FOUND')) throw error
  }
  throw stale
}

/**
 * The one generic command handler (the decider pattern): read the stream, fold `evolve`, `decide`, seal the new
 * events onto the stream's hash chain, append them expecting the revision decided on. Every command of every
 * context goes through here, the HTTP routes, the reactors and the SLA worker alike.
 * @example
 * await handleCommand(store, caseDecider, caseStreamId(id), command, { codec, context: () => ctx, metadata, eventIds })
 */
export async function handleCommand<Command, Event, State, Context>(
  store: EventStore,
  decider: Decider<Command, Event, State, Context>,
  streamId: string,
  command: Command,
  options: HandleOptions<State, Context, Event>,
): Promise<HandleResult<State>> {
  const { codec, expectedRevision } = options
  let attempts = expectedRevision === undefined ? (options.maxAttempts ?? 5) : 1
  for (let known = options.head; ; known = undefined) {
    const head = known ?? (await foldStream(store, decider, codec, streamId))
    const revision = head.revision ?? 'no_stream'
    const decide = () => decider.decide(command, head.state, options.context(head.state))
    const stale = expectedRevision !== undefined && expectedRevision !== revision
    const decided = stale ? refuseStale(decide, new WrongExpectedRevisionError(streamId, expectedRevision, revision)) : decide()
    if (decided.length === 0) return { ...head, streamId, revision: head.revision ?? -1n, position: head.position ?? -1n, appended: 0 }
    const unsealed = decided.map((event, i) => ({ eventId: options.eventIds(i), ...codec.toStored(event), metadata: { ...options.metadata } }))
    const sealed = sealEvents(streamId, head.revision === null ? 0n : head.revision + 1n, head.lastHash, unsealed) as NewEvent[]
    try {
      const appended = await store.append(streamId, sealed, { expectedRevision: revision })
      // The state a fresh read would fold: the stored form decoded, not the decider's own objects.
      const state = sealed.reduce((s, e) => decider.evolve(s, codec.fromTrusted?.(e) ?? codec.fromStored(e)), head.state)
      const lastHash = sealed.at(-1)!.metadata.hash
      return { streamId, revision: appended.nextExpectedRevision, position: appended.position, lastHash, state, appended: sealed.length }
    } catch (error) {
      // Someone appended between our read and our write: decide again on what they left, a bounded number of times.
      if (!(error instanceof WrongExpectedRevisionError) || --attempts <= 0) throw error
    }
  }
}
