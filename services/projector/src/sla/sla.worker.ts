import { randomUUID } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import type { Kysely } from 'kysely'
import { SLA_ACTOR } from '@pc/domain'
import type { EventStore } from '@pc/event-store'
import { acquireLease, silentLogger, type Database, type ProjectorLogger } from '@pc/read-models'
import { contexts, contextWatchers, type DeadlineWatcher } from '@pc/contexts'

export interface SlaWorkerOptions {
  /** Read models (where the watchers look for deadlines). */
  db: Kysely<Database>
  store: EventStore
  /** Default: every context's watchers. */
  watchers?: readonly DeadlineWatcher[]
  /** The clock deadlines are measured with; tests move it. Default: the system clock. */
  now?: () => Date
  /** Pause between rounds (default 30 s). */
  intervalMs?: number
  /**
   * With a connection string the loop runs under a PostgreSQL advisory-lock lease, so among several processes one
   * does the work (the others would only find nothing to do). Correctness does not depend on it.
   */
  lease?: { connectionString: string; pollMs?: number }
  logger?: ProjectorLogger
}

export interface SlaRecorded {
  watcher: string
  label: string
  streamId: string
  /** Events appended (0 when the decider found the deadline already recorded). */
  appended: number
  position: bigint
}

export interface SlaTick {
  /** Every command sent this round, whether or not it appended. */
  sent: SlaRecorded[]
  /** Commands that failed (logged); they are tried again next round. */
  failed: number
}

/** Lease key shared by every SLA worker. */
export const SLA_WORKER_LEASE = 'worker:sla'

/**
 * The SLA worker (DESIGN §4): every `intervalMs`, asks each watcher what is past due at `now()` and sends the
 * command that records it through the generic command handler, as `system:sla`. Recording once per breach is the
 * decider's rule (a recorded breach decides nothing) plus the handler's expected revision (two senders racing:
 * the second decides again on the new state), so restarts and a second instance are harmless.
 *
 * @example
 * const worker = new SlaWorker({ db, store, lease: { connectionString }, logger })
 * worker.start()
 * // … on shutdown:
 * await worker.stop()
 */
export class SlaWorker {
  readonly #options: SlaWorkerOptions
  readonly #logger: ProjectorLogger
  readonly #now: () => Date
  readonly #stop = new AbortController()
  #loop: Promise<void> | undefined

  constructor(options: SlaWorkerOptions) {
    this.#options = options
    this.#logger = options.logger ?? silentLogger
    this.#now = options.now ?? (() => new Date())
  }

  start(): void {
    this.#loop ??= this.#run()
  }

  /** Stops the loop; a round in flight finishes its current command first. */
  async stop(): Promise<void> {
    this.#stop.abort()
    await this.#loop
  }

  /** One round over every watcher at `now()`. */
  async tick(): Promise<SlaTick> {
    const now = this.#now().toISOString()
    const { db, store } = this.#options
    const sent: SlaRecorded[] = []
    let failed = 0
    for (const watcher of this.#options.watchers ?? contextWatchers(contexts)) {
      for await (const due of watcher.due(db, now)) {
        if (this.#stop.signal.aborted) return { sent, failed }
        try {
          const result = await due.send(store, {
            now,
            metadata: {
              actor: { id: SLA_ACTOR.id, roles: [...SLA_ACTOR.roles] },
              occurredAt: now,
              correlationId: randomUUID(),
              causationId: null,
            },
          })
          sent.push({ watcher: watcher.name, label: due.label, streamId: due.streamId, appended: result.appended, position: result.position })
          if (result.appended > 0) this.#logger.info({ watcher: watcher.name, deadline: due.label }, 'deadline missed; recorded')
        } catch (error) {
          // One case refusing (a rule, a conflict that outlasted the retries) must not hold up the others.
          failed++
          this.#logger.warn({ watcher: watcher.name, deadline: due.label, err: error }, 'could not record a missed deadline')
        }
      }
    }
    return { sent, failed }
  }

  async #run(): Promise<void> {
    const stop = this.#stop.signal
    const intervalMs = this.#options.intervalMs ?? 30_000
    while (!stop.aborted) {
      const lease = this.#options.lease
        ? await acquireLease({ ...this.#options.lease, key: SLA_WORKER_LEASE, signal: stop })
        : null
      if (this.#options.lease && !lease) break
      const signal = lease ? AbortSignal.any([stop, lease.lost]) : stop
      try {
        while (!signal.aborted) {
          await this.tick().catch((error: unknown) => this.#logger.warn({ err: error }, 'SLA worker: round failed; trying again'))
          await delay(intervalMs, undefined, { signal }).catch(() => undefined)
        }
      } finally {
        await lease?.release()
      }
    }
  }
}
