import { contextProjections, contextReactors, contexts, type DeadlineWatcher } from '@pc/contexts'
import { ConfigError, type Runtime } from '@pc/platform'
import {
  createReadModelDatabase,
  describeSigningKeyStatus,
  LedgerHeadWorker,
  registerSigningKey,
  migrateReadModels,
  ProjectionRunner,
  type LedgerSigner,
  type Projection,
  type ProjectionStatusReport,
  type Database,
  type ProjectorLogger,
} from '@pc/read-models'
import type { Kysely } from 'kysely'
import { IdempotencyPurge } from './idempotency-purge.js'
import { SlaWorker } from './sla/index.js'

/** What the projector needs of the process runtime (a platform `Runtime` fits; a test can hand it a smaller one). */
export interface ProjectorRuntime extends Pick<Runtime, 'eventStore' | 'databaseUrl'> {
  readonly logger: ProjectorLogger & { child(bindings: Record<string, unknown>): ProjectorLogger }
}

export interface ProjectorOptions {
  /** Default: every context's read models. */
  projections?: readonly Projection[]
  /**
   * Projections that issue commands instead of writing tables. Default: every context's reactors, unless
   * `projections` is given.
   */
  reactors?: readonly Projection[]
  /** Most events per transaction (default 500). */
  batchSize?: number
  /** How often a standby instance tries the lease (default 1000 ms). */
  leasePollMs?: number
  /** Pause after a transient failure (default 1000 ms). */
  retryDelayMs?: number
  /** Bring the read-model tables up to date first (default true). */
  migrate?: boolean
  /** The ledger's signer and head cadence; with a signer the head worker runs too (DESIGN §6). */
  ledger?: { signer?: LedgerSigner; headEvery?: number; headSeconds?: number }
  /**
   * The SLA worker (DESIGN §4), on by default: its clock (tests move it), its pause between rounds (default 30 s)
   * and what it watches (default: every context's watchers). `false` leaves it out (a projector that only projects).
   */
  sla?: false | { now?: () => Date; intervalMs?: number; watchers?: readonly DeadlineWatcher[] }
  /**
   * The purge of the command API's expired `Idempotency-Key`s: their TTL (`IDEMPOTENCY_TTL_HOURS`, default 24), its
   * clock and pause between rounds (default 15 min). `false` leaves it out.
   */
  idempotencyPurge?: false | { ttlHours?: number; now?: () => Date; intervalMs?: number }
}

export interface Projector {
  readonly runner: ProjectionRunner
  /** The SLA worker, unless `sla: false`. */
  readonly sla: SlaWorker | undefined
  /** The expired idempotency keys' purge, unless `idempotencyPurge: false`. */
  readonly idempotencyPurge: IdempotencyPurge<Database> | undefined
  status(): ProjectionStatusReport[]
  /** Stops the SLA worker, then the projections (the batch in flight finishes or rolls back) and the ledger head worker. */
  stop(): Promise<void>
}

/**
 * Starts the projector inside a process that already holds a runtime: migrates the read models, then runs every
 * projection in the background (one lease each, so another instance elsewhere stands by), the SLA worker and,
 * with a signer, the ledger head worker. `pnpm start` mounts it next to the APIs; `main.ts` runs it alone.
 *
 * @example
 * const projector = await startProjector(runtime, { ledger: { signer } })
 * // … on shutdown, before the runtime closes:
 * await projector.stop()
 */
export async function startProjector(runtime: ProjectorRuntime, options: ProjectorOptions = {}): Promise<Projector> {
  const logger = runtime.logger.child({ component: 'projector' })
  const ledger = options.ledger ?? {}
  const projections = [
    ...(options.projections ??
      contextProjections(contexts, {
        ledger: { ...(ledger.signer ? { signer: ledger.signer } : {}), ...(ledger.headEvery ? { headEvery: ledger.headEvery } : {}) },
      })),
    // Reactors run like projections (lease, checkpoint, retries); a projector limited to some read models runs none.
    ...(options.reactors ?? (options.projections ? [] : contextReactors(contexts, { store: runtime.eventStore }))),
  ]
  let closed = false
  // Its own small pool: in the all-in-one process the projector's writes never queue behind (or starve) the APIs'
  // requests on the runtime's pool. Two per projection: a batch, or a rebuild's pinned session plus its work.
  // The event store's subscriptions stay on the store's pool. One more for the SLA worker.
  const db = createReadModelDatabase({
    connectionString: runtime.databaseUrl,
    max: 2 * projections.length + 3,
    applicationName: 'pc-projector',
    // Once stopped, a closing connection may still hear the server shut down (57P01): not worth a warning.
    onPoolError: (error: Error & { code?: string }) => {
      if (!closed) logger.warn({ code: error.code, message: error.message }, 'projector PostgreSQL connection failed')
    },
  })
  try {
    if (options.migrate ?? true) await migrateReadModels(db)
    if (ledger.signer) {
      // A key that was rotated away (or never made current) must not sign: say so at start, not in a log line later.
      const status = await registerSigningKey(db, ledger.signer.keyId, ledger.signer.publicKeyPem)
      if (status.state !== 'current') throw new ConfigError(`configuration error: ${describeSigningKeyStatus(ledger.signer.keyId, status)}`)
    }
  } catch (error) {
    await db.destroy()
    throw error
  }
  const runner = new ProjectionRunner({
    db,
    store: runtime.eventStore,
    connectionString: runtime.databaseUrl,
    projections,
    logger,
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    ...(options.leasePollMs ? { leasePollMs: options.leasePollMs } : {}),
    ...(options.retryDelayMs ? { retryDelayMs: options.retryDelayMs } : {}),
  })
  runner.start()
  const heads = ledger.signer
    ? new LedgerHeadWorker({
        db,
        store: runtime.eventStore,
        signer: ledger.signer,
        logger,
        ...(ledger.headSeconds ? { headSeconds: ledger.headSeconds } : {}),
      })
    : undefined
  heads?.start()
  const sla =
    options.sla === false
      ? undefined
      : new SlaWorker({
          db,
          store: runtime.eventStore,
          lease: { connectionString: runtime.databaseUrl, ...(options.leasePollMs ? { pollMs: options.leasePollMs } : {}) },
          logger: runtime.logger.child({ component: 'sla-worker' }),
          ...(options.sla?.now ? { now: options.sla.now } : {}),
          ...(options.sla?.intervalMs ? { intervalMs: options.sla.intervalMs } : {}),
          ...(options.sla?.watchers ? { watchers: options.sla.watchers } : {}),
        })
  sla?.start()
  const purge = options.idempotencyPurge === false ? undefined : startPurge(db, options.idempotencyPurge ?? {}, runtime)
  logger.info({ projections: projections.map((p) => p.name), sla: sla !== undefined }, 'projector started')
  let stopping: Promise<void> | undefined
  return {
    runner,
    sla,
    idempotencyPurge: purge,
    status: () => runner.status(),
    stop() {
      // The SLA worker first: it appends commands, and nothing should be half-sent when the pool goes.
      stopping ??= Promise.all([sla?.stop(), purge?.stop()])
        .then(() => Promise.all([runner.stop(), heads?.stop()]))
        .then(() => {
          closed = true
          return db.destroy()
        })
        .then(() => logger.info({}, 'projector stopped'))
      return stopping
    },
  }
}

/** Default `IDEMPOTENCY_TTL_HOURS`. */
export const IDEMPOTENCY_TTL_HOURS = 24

function startPurge(
  db: Kysely<Database>,
  options: { ttlHours?: number; now?: () => Date; intervalMs?: number },
  runtime: ProjectorRuntime,
): IdempotencyPurge<Database> {
  const purge = new IdempotencyPurge({
    db,
    ttlHours: options.ttlHours ?? IDEMPOTENCY_TTL_HOURS,
    logger: runtime.logger.child({ component: 'idempotency-purge' }),
    ...(options.now ? { now: options.now } : {}),
    ...(options.intervalMs ? { intervalMs: options.intervalMs } : {}),
  })
  purge.start()
  return purge
}
