import type { Kysely, Migration } from 'kysely'
import { START, checkpointToString, compareCheckpoints, type Checkpoint, type DeliveredEvent, type EventStore } from '@pc/event-store'
import { applyIsolating, CheckpointMovedError, ProjectionEventError } from './apply.js'
import { Batcher } from './batcher.js'
import type { CheckpointRow, FailedEvent } from './checkpoint.tables.js'
import { checkpointOfRow, ensureCheckpoint, markFailed, readCheckpoint } from './checkpoints.js'
import type { Database } from './database.js'
import { acquireLease, sleep } from './lease.js'
import { silentLogger, type ProjectorLogger } from './logger.js'
import type { Projection } from './projection.js'
import { rebuildProjection } from './rebuild.js'

export interface ProjectionRunnerOptions {
  db: Kysely<Database>
  store: EventStore
  /** For the lease connections: one dedicated session per projection, outside the pool. */
  connectionString: string
  projections: readonly Projection[]
  /** Most events per transaction (default 500). */
  batchSize?: number
  /** How long a batch waits for more events once it has one (default 10 ms). */
  lingerMs?: number
  /** How often a waiting instance retries the lease (default 1000 ms). */
  leasePollMs?: number
  /** Pause after a transient failure before starting over (default 1000 ms). */
  retryDelayMs?: number
  logger?: ProjectorLogger
  /** For rebuilds on a version change (default: `readModelMigrations`). */
  migrations?: Readonly<Record<string, Migration>>
}

export type ProjectionState = 'starting' | 'waiting_for_lease' | 'rebuilding' | 'running' | 'failed' | 'stopped'

export interface ProjectionStatusReport {
  name: string
  state: ProjectionState
  /** The last checkpoint this runner committed or read, null before it read one. */
  checkpoint: Checkpoint | null
  failure: FailedEvent | null
  /** Server pid of the lease session while this runner holds the lease. */
  leaseBackendPid: number | null
}

interface Worker {
  projection: Projection
  state: ProjectionState
  checkpoint: Checkpoint | null
  failure: FailedEvent | null
  leaseBackendPid: number | null
  done: Promise<void> | null
}

/**
 * Runs projections: for each one, takes the lease, reads its checkpoint, subscribes to the log after it and
 * applies events in batches, each batch and its checkpoint in one transaction (`applyBatch`).
 *
 * - Only one instance runs a projection at a time; the others wait on the lease and take over when the holder's
 *   session ends.
 * - A handler error stops the projection on that event (logged and stored in `projection_checkpoints`), keeping
 *   the lease so no other instance tries the same event in a loop; a restart tries the event again.
 * - Connection failures and the like are retried after `retryDelayMs`, starting over from the stored checkpoint.
 * - A stored version older than the projection's triggers a rebuild before projecting.
 *
 * @example
 * const runner = new ProjectionRunner({ db, store, connectionString, projections: allProjections })
 * runner.start()
 * // … on SIGTERM:
 * await runner.stop()
 */
export class ProjectionRunner {
  readonly #options: ProjectionRunnerOptions
  readonly #logger: ProjectorLogger
  readonly #workers: Worker[]
  readonly #stop = new AbortController()
  #started = false

  constructor(options: ProjectionRunnerOptions) {
    const names = new Set<string>()
    for (const projection of options.projections) {
      if (names.has(projection.name)) throw new Error(`two projections are named ${projection.name}`)
      names.add(projection.name)
    }
    this.#options = options
    this.#logger = options.logger ?? silentLogger
    this.#workers = options.projections.map((projection) => ({
      projection,
      state: 'starting',
      checkpoint: null,
      failure: null,
      leaseBackendPid: null,
      done: null,
    }))
  }

  /** Starts every projection in the background; returns at once. */
  start(): void {
    if (this.#started) return
    this.#started = true
    for (const worker of this.#workers) worker.done = this.#run(worker)
  }

  status(): ProjectionStatusReport[] {
    return this.#workers.map(({ projection, state, checkpoint, failure, leaseBackendPid }) => ({
      name: projection.name,
      state,
      checkpoint,
      failure,
      leaseBackendPid,
    }))
  }

  /** Stops every projection: the batch in flight commits or rolls back, the leases are released. */
  async stop(): Promise<void> {
    this.#stop.abort()
    await Promise.all(this.#workers.map((w) => w.done))
  }

  async #run(worker: Worker): Promise<void> {
    const { projection } = worker
    const stop = this.#stop.signal
    const retryDelayMs = this.#options.retryDelayMs ?? 1000
    while (!stop.aborted) {
      worker.state = 'waiting_for_lease'
      const lease = await acquireLease({
        connectionString: this.#options.connectionString,
        key: `projection:${projection.name}`,
        pollMs: this.#options.leasePollMs ?? 1000,
        signal: stop,
        onWaiting: () => this.#logger.info({ projection: projection.name }, 'projection lease held elsewhere; waiting'),
      })
      if (!lease) break
      worker.leaseBackendPid = lease.backendPid
      const signal = AbortSignal.any([stop, lease.lost])
      try {
        this.#logger.info({ projection: projection.name }, 'projection lease acquired')
        await this.#project(worker, signal)
      } catch (error) {
        if (error instanceof ProjectionEventError) {
          worker.state = 'failed'
          worker.failure = error.failure
          this.#logger.error({ projection: projection.name, event: error.failure, err: error.cause }, error.message)
          await markFailed(this.#options.db, projection.name, error.failure).catch((e: unknown) =>
            this.#logger.error({ projection: projection.name, err: e }, 'could not record the projection failure'),
          )
          // Keep the lease while stopped: another instance would only fail on the same event.
          while (!signal.aborted) await sleep(60_000, signal)
        } else if (!signal.aborted) {
          this.#logger.warn({ projection: projection.name, err: error }, 'projection interrupted; starting over')
          await sleep(retryDelayMs, stop)
        }
      } finally {
        worker.leaseBackendPid = null
        await lease.release()
      }
      if (lease.lost.aborted && !stop.aborted) {
        this.#logger.warn({ projection: projection.name }, 'projection lease lost')
      }
    }
    worker.state = 'stopped'
  }

  /** Projects until `signal` aborts; throws on anything that needs the caller's attention. */
  async #project(worker: Worker, signal: AbortSignal): Promise<void> {
    const { db, store } = this.#options
    const { projection } = worker
    const batchSize = this.#options.batchSize ?? 500
    let row: CheckpointRow | undefined = await ensureCheckpoint(db, projection.name, projection.version)
    if (row.version > projection.version) {
      throw new Error(
        `projection ${projection.name}: tables were built by version ${row.version}, this code is version ` +
          `${projection.version}; not projecting with older code`,
      )
    }
    if (row.version < projection.version) {
      worker.state = 'rebuilding'
      this.#logger.info({ projection: projection.name, from: row.version, to: projection.version }, 'projection version changed; rebuilding')
      await rebuildProjection({
        db,
        store,
        projection,
        logger: this.#logger,
        signal,
        ...(this.#options.migrations ? { migrations: this.#options.migrations } : {}),
      })
      row = await readCheckpoint(db, projection.name)
    }
    while (!signal.aborted) {
      if (!row) throw new Error(`projection ${projection.name}: checkpoint row disappeared`)
      let checkpoint = checkpointOfRow(row)
      worker.checkpoint = checkpoint
      worker.failure = null
      worker.state = 'running'
      const subscription = store.subscribeAll({
        ...(compareCheckpoints(checkpoint, START) === 0 ? {} : { after: checkpoint }),
        batchSize,
      })
      const close = () => void subscription.close().catch(() => undefined)
      signal.addEventListener('abort', close, { once: true })
      try {
        const batcher = new Batcher<DeliveredEvent>(subscription, {
          max: batchSize,
          lingerMs: this.#options.lingerMs ?? 10,
          signal,
        })
        for (let batch = await batcher.next(); batch; batch = await batcher.next()) {
          checkpoint = await applyIsolating(db, projection, batch, checkpoint)
          worker.checkpoint = checkpoint
        }
        if (!signal.aborted) throw new Error(`projection ${projection.name}: subscription ended`)
      } catch (error) {
        if (!(error instanceof CheckpointMovedError)) throw error
        // A rebuild swapped new tables in (or a runner that lost its lease wrote last): carry on from the row.
        this.#logger.info(
          { projection: projection.name, expected: checkpointToString(error.expected) },
          'projection checkpoint moved; resubscribing',
        )
        row = await readCheckpoint(db, projection.name)
        // A rebuild by newer code swapped its tables in: this code must not write into them.
        if (row && row.version !== projection.version) {
          throw new Error(`projection ${projection.name}: tables are now version ${row.version}, this code is ${projection.version}`)
        }
      } finally {
        signal.removeEventListener('abort', close)
        await subscription.close().catch(() => undefined)
      }
    }
  }
}
