import { StreamStateCache, type EventStore } from '@pc/event-store'

/**
 * The command API's share of `handleCommand`'s stream cache (see `HandleOptions.cache` in `@pc/event-store`): one
 * cache per store, decider and codec, and commands of this process on one stream run one at a time.
 */

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

// Commands of this process on one stream, one at a time (per store): concurrent ones would all decide on the
// same cached revision and all but one fail their append. Queued, each finds the state its predecessor left.
const running = new WeakMap<EventStore, Map<string, Promise<unknown>>>()

/** Runs `work` after every earlier `oneAtATime` of this process on the same stream has settled. */
export async function oneAtATime<T>(store: EventStore, streamId: string, work: () => Promise<T>): Promise<T> {
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
