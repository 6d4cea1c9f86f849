import type pg from 'pg'
import { NOTIFY_CHANNEL } from './migrations.js'

/** Told when a wake-up could not be sent (a pino logger fits). */
export interface NotifierLogger {
  debug(details: object, message: string): void
}

/**
 * An autocommit statement of its own, so an append never holds the notification's commit lock. A notifying
 * transaction is given a transaction id and so writes a commit record; committing it asynchronously
 * (`synchronous_commit` off for this transaction only) releases that lock without waiting for a WAL flush, and
 * keeps the wake-ups from adding fsyncs next to the appends'. A wake-up need not survive a crash.
 */
const NOTIFY = {
  name: 'event_store_notify_v1',
  text: `select set_config('synchronous_commit', 'off', true), pg_notify($1, '')`,
} as const

/**
 * The shortest time between two notifications of one store. Bounds what a wake-up costs a steady writer (one
 * statement per interval, not per append), and adds at most this much to how late a live subscriber hears of an
 * append that follows another one closely.
 */
export const NOTIFY_MIN_INTERVAL_MS = 5

export interface AppendNotifier {
  /** Asks for a wake-up of every live subscriber on the database; returns at once. */
  notify(): void
  /** Accepts no more requests and waits for the ones already taken to be sent (or to fail). */
  close(): Promise<void>
}

/**
 * Wakes live subscribers (in every process LISTENing on the database) after appends have committed, without
 * taking part in the appending transactions: a NOTIFY inside them serialised their commits (see migration 2).
 *
 * Coalesced, and fire-and-forget: at most one notification is in flight, and at most one per
 * `NOTIFY_MIN_INTERVAL_MS`; requests made meanwhile become exactly one more, sent when that is over. The payload is
 * empty (subscribers read what is new themselves), so one notification stands for any number of appends that
 * committed before it was sent. A failure is only logged: a subscriber's poll delivers what a lost notification
 * would have announced, a little later.
 */
export function createAppendNotifier(
  pool: Pick<pg.Pool, 'query'>,
  logger?: NotifierLogger,
  minIntervalMs = NOTIFY_MIN_INTERVAL_MS,
): AppendNotifier {
  let busy = false
  let again = false
  let closed = false
  let sending: Promise<void> = Promise.resolve()

  async function run(): Promise<void> {
    try {
      do {
        again = false
        const started = performance.now()
        try {
          await pool.query({ ...NOTIFY, values: [NOTIFY_CHANNEL] })
        } catch (error) {
          logger?.debug({ err: error }, 'event store: wake-up notification failed; live subscribers catch up at their next poll')
        }
        // Still busy for the rest of the interval: one writer appending one event at a time would otherwise send
        // a notification (a statement, a commit record) per append. Requests meanwhile become the one after.
        const rest = minIntervalMs - (performance.now() - started)
        if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest))
      } while (again)
    } finally {
      // Cleared in the same turn as the last look at `again`, so no request falls between the two.
      busy = false
    }
  }

  return {
    notify() {
      if (closed) return
      if (busy) {
        again = true
        return
      }
      busy = true
      sending = run().catch(() => undefined)
    },
    async close() {
      closed = true
      await sending
    },
  }
}
