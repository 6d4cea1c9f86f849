/**
 * Cuts an async iterable into batches: a batch takes whatever the source can hand over right away (up to `max`),
 * waiting at most `lingerMs` for more after its first item. A subscription catching up hands over whole pages
 * at once, so batches are large while behind and small (low latency) when live.
 *
 * `signal` ends the current wait; a `next()` still pending on the source is then left to the source's `close()`.
 */
export class Batcher<T> {
  readonly #iterator: AsyncIterator<T>
  #pending: Promise<IteratorResult<T>> | null = null
  #done = false

  constructor(
    source: AsyncIterable<T>,
    private readonly options: { max: number; lingerMs: number; signal?: AbortSignal },
  ) {
    this.#iterator = source[Symbol.asyncIterator]()
  }

  /**
   * The next batch, or null when the source is finished or the signal aborted. With `firstWaitMs`, an empty
   * batch when nothing arrives in that time (how a rebuild tells it has caught up with a live source).
   */
  async next(options: { firstWaitMs?: number } = {}): Promise<T[] | null> {
    if (this.#done || this.options.signal?.aborted) return this.#finish()
    const first = await this.#take(options.firstWaitMs)
    if (first === STOPPED) return this.options.signal?.aborted ? this.#finish() : []
    if (first.done) return this.#finish()
    const batch = [first.value]
    // One linger timer for the whole batch rather than one per item: a catching-up subscription hands over
    // thousands of items a second. Its reactions (one per item at most) go with the batch.
    const linger = this.#stopAfter(this.options.lingerMs)
    try {
      while (batch.length < this.options.max) {
        const result = await this.#race(linger.stop)
        if (result === STOPPED) break
        if (result.done) {
          this.#done = true
          break
        }
        batch.push(result.value)
      }
    } finally {
      linger.cleanup()
    }
    return batch
  }

  /**
   * Asks the source for its next item now, without waiting for it: a subscription then reads its next page while
   * the caller is busy with the last batch. The next `next()` takes it, its wait counted from then.
   */
  prefetch(): void {
    if (this.#done || this.#pending) return
    this.#pending = this.#iterator.next()
    // Taken by the next `next()`; if nobody comes (an abort, an error), a rejection must not go unhandled.
    this.#pending.catch(() => undefined)
  }

  /** The source's next item, or STOPPED when the timeout passes or the signal aborts first. */
  async #take(timeoutMs: number | undefined): Promise<IteratorResult<T> | typeof STOPPED> {
    // A fresh stop promise per wait, with its listener and timer removed afterwards: racing one long-lived
    // promise would pile a reaction onto it for every item of a subscription that lives for weeks.
    const { stop, cleanup } = this.#stopAfter(timeoutMs)
    try {
      return await this.#race(stop)
    } finally {
      cleanup()
    }
  }

  async #race(stop: Promise<typeof STOPPED>): Promise<IteratorResult<T> | typeof STOPPED> {
    this.#pending ??= this.#iterator.next()
    const result = await Promise.race([this.#pending, stop])
    if (result !== STOPPED) this.#pending = null
    return result
  }

  /** A promise of STOPPED once `timeoutMs` passes (never without one) or the signal aborts. */
  #stopAfter(timeoutMs: number | undefined): { stop: Promise<typeof STOPPED>; cleanup: () => void } {
    const signal = this.options.signal
    let cleanup = () => {}
    const stop = new Promise<typeof STOPPED>((resolve) => {
      const onStop = () => resolve(STOPPED)
      const timer = timeoutMs === undefined ? undefined : setTimeout(onStop, timeoutMs)
      signal?.addEventListener('abort', onStop, { once: true })
      cleanup = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onStop)
      }
    })
    return { stop, cleanup }
  }

  #finish(): null {
    this.#done = true
    // A next() abandoned after an abort may still reject when the source closes; nobody awaits it any more.
    this.#pending?.catch(() => undefined)
    return null
  }
}

const STOPPED = Symbol('stopped')
