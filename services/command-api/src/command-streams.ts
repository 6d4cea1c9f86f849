import type { AnyContext } from '@pc/contexts'
import { StreamQueue, StreamStateCache } from '@pc/event-store'

/**
 * What one command app keeps between commands: a cache of folded streams per context (a context's decider and
 * codec fix the state type) and the per-stream queue. Owned by the app (a decorator, cleared in `onClose`), so two
 * apps in one process, on two databases, never share an entry.
 */
export class CommandStreams {
  readonly queue = new StreamQueue()
  readonly #caches = new Map<string, StreamStateCache<unknown>>()

  cacheFor<State>(context: AnyContext): StreamStateCache<State> {
    let cache = this.#caches.get(context.name)
    if (!cache) this.#caches.set(context.name, (cache = new StreamStateCache()))
    return cache as StreamStateCache<State>
  }

  clear(): void {
    for (const cache of this.#caches.values()) cache.clear()
    this.#caches.clear()
  }
}
