import { setTimeout as delay } from 'node:timers/promises'
import { purgeExpiredKeys } from '@pc/command-api'
import { silentLogger, type ProjectorLogger } from '@pc/read-models'
import type { Kysely } from 'kysely'

export interface IdempotencyPurgeOptions<Tables> {
  db: Kysely<Tables>
  /** `IDEMPOTENCY_TTL_HOURS`: a key answered longer ago than this is deleted, and is new afterwards. */
  ttlHours: number
  /** Pause between rounds (default 15 min). */
  intervalMs?: number
  /** The clock the age of a key is judged by; tests move it. Default: the system clock. */
  now?: () => Date
  batchSize?: number
  logger?: ProjectorLogger
}

const DEFAULT_INTERVAL_MS = 15 * 60_000

/**
 * The command API's `Idempotency-Key`s expire (issue 16): every `intervalMs`, and once at start, this deletes the
 * keys older than the TTL, in batches (`purgeExpiredKeys`). Several projectors purging at once only find less
 * to delete, so it runs without a lease.
 *
 * @example
 * const purge = new IdempotencyPurge({ db, ttlHours: 24, logger })
 * purge.start()
 * await purge.stop()
 */
export class IdempotencyPurge<Tables> {
  readonly #options: IdempotencyPurgeOptions<Tables>
  readonly #logger: ProjectorLogger
  readonly #stop = new AbortController()
  #loop: Promise<void> | undefined

  constructor(options: IdempotencyPurgeOptions<Tables>) {
    this.#options = options
    this.#logger = options.logger ?? silentLogger
  }

  start(): void {
    this.#loop ??= this.#run()
  }

  /** Stops the loop; a batch in flight finishes first. */
  async stop(): Promise<void> {
    this.#stop.abort()
    await this.#loop
  }

  /** One round at `now()`: answers how many keys were deleted. */
  async purgeOnce(): Promise<number> {
    const { db, ttlHours, batchSize } = this.#options
    const now = (this.#options.now ?? (() => new Date()))()
    const purged = await purgeExpiredKeys(db, { now, ttlHours, signal: this.#stop.signal, ...(batchSize ? { batchSize } : {}) })
    if (purged > 0) this.#logger.info({ purged, ttlHours }, 'expired idempotency keys purged')
    return purged
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal
    while (!signal.aborted) {
      await this.purgeOnce().catch((error: unknown) => this.#logger.warn({ err: error }, 'idempotency purge failed; trying again next round'))
      await delay(this.#options.intervalMs ?? DEFAULT_INTERVAL_MS, undefined, { signal }).catch(() => undefined)
    }
  }
}
