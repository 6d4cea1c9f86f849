import type pg from 'pg'
import { START, type Checkpoint, type DeliveredEvent, type EventFilter, type Subscription } from '../types.js'
import { mapStoreError } from './errors.js'
import { NOTIFY_CHANNEL } from './migrations.js'
import { advancePastHorizon, readAllBatch } from './queries.js'

export interface PostgresSubscriptionOptions {
  pool: pg.Pool
  after: Checkpoint | undefined
  filter: EventFilter | undefined
  batchSize: number
  pollIntervalMs: number
  onEnd: (subscription: PostgresSubscription) => void
}

/**
 * Catch-up then live over $all, on one dedicated connection that it LISTENs on.
 *
 * It reads pages with the gap-safe query until a page comes back short, then waits for a notification (a store
 * sends one after its appends commit, see notifier.ts) or for the poll interval, whichever comes first. The poll is
 * not optional: a notification can be lost with its connection or fail to be sent, events appended with
 * `appendInTransaction` are only announced if the caller asks for it, and an event that was notified may still
 * sit above the horizon (an older transaction is open), in which case only a later read, not a later
 * notification, delivers it.
 */
export class PostgresSubscription implements Subscription {
  #closed = false
  /** Set by a notification that arrived while we were reading; the next wait then returns at once. */
  #pending = false
  #wake: (() => void) | null = null
  #failure: unknown = null
  #iterator: AsyncGenerator<DeliveredEvent> | null = null

  constructor(private readonly options: PostgresSubscriptionOptions) {}

  [Symbol.asyncIterator](): AsyncGenerator<DeliveredEvent> {
    this.#iterator ??= this.#run()
    return this.#iterator
  }

  readonly #signal = (): void => {
    this.#pending = true
    this.#wake?.()
  }

  readonly #onError = (error: unknown): void => {
    this.#failure = error
    this.#signal()
  }

  async *#run(): AsyncGenerator<DeliveredEvent> {
    const { pool, filter, batchSize, pollIntervalMs } = this.options
    let client: pg.PoolClient | null = null
    try {
      if (this.#closed) return
      client = await pool.connect()
      client.on('notification', this.#signal)
      client.on('error', this.#onError)
      // LISTEN before the first read: a notification sent after an append that commits after the read then reaches us.
      await client.query(`listen ${NOTIFY_CHANNEL}`)
      let cursor = this.options.after ?? START
      while (!this.#closed) {
        if (this.#failure) throw this.#failure
        this.#pending = false
        const batch = await readAllBatch(client, cursor, filter, batchSize)
        for (const event of batch.events) {
          if (this.#closed) return
          cursor = event.checkpoint
          yield event
        }
        if (batch.events.length === batchSize) continue
        cursor = advancePastHorizon(cursor, batch.horizon)
        if (!this.#pending && !this.#closed) await this.#sleep(pollIntervalMs)
      }
    } catch (error) {
      throw mapStoreError(error)
    } finally {
      if (client) {
        client.off('notification', this.#signal)
        client.off('error', this.#onError)
        // Destroy rather than return it to the pool: it is LISTENing and may have a dead socket.
        client.release(true)
      }
      this.options.onEnd(this)
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        this.#wake = null
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.#wake = done
    })
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#wake?.()
    // Runs the generator's `finally` (releasing the connection) if it is paused at a yield; if it is reading, the
    // return waits for that read, after which the loop sees `#closed` and ends.
    await this.#iterator?.return(undefined).catch(() => undefined)
    this.options.onEnd(this)
  }
}
