import { sql, type Kysely, type Migration } from 'kysely'
import { START, checkpointToString, compareCheckpoints, type Checkpoint, type DeliveredEvent, type EventStore } from '@pc/event-store'
import { applyIsolating, ProjectionEventError, selectMatching, setLocalSearchPath } from './apply.js'
import { Batcher } from './batcher.js'
import { checkpointOfRow, ensureCheckpoint, lockCheckpoint, moveCheckpoint, readCheckpoint } from './checkpoints.js'
import type { Database } from './database.js'
import { silentLogger, type ProjectorLogger } from './logger.js'
import { currentSchema, migrateReadModelsInto, quoteIdent } from './migrate.js'
import type { Projection } from './projection.js'

/** Another process is rebuilding the same projection right now. */
export class RebuildInProgressError extends Error {
  override readonly name = 'RebuildInProgressError'
  constructor(readonly projection: string) {
    super(`projection ${projection} is already being rebuilt by another process`)
  }
}

export interface RebuildOptions {
  db: Kysely<Database>
  store: EventStore
  projection: Projection
  /** Events per transaction while building (default 1000). */
  batchSize?: number
  logger?: ProjectorLogger
  signal?: AbortSignal
  /**
   * The rebuild counts as caught up once it reaches where the live tables stood when it began; only when those have
   * applied nothing yet does a wait this long for the next event (default 250 ms), or a batch shorter than
   * `batchSize`, count instead. Events that arrive after the swap are applied by the live runner from the moved
   * checkpoint.
   */
  caughtUpAfterMs?: number
  /** The read-model migrations to build the fresh schema with (default: `readModelMigrations`). */
  migrations?: Readonly<Record<string, Migration>>
  /** Called once the fresh tables have caught up, before the swap transaction (tests use it to interleave). */
  beforeSwap?: () => Promise<void>
}

export interface RebuildResult {
  projection: string
  /** Where the swapped-in tables stand. */
  checkpoint: Checkpoint
  /** Events read from the log (matching or not). */
  events: number
  durationMs: number
}

/** Most batches to apply while holding the swap lock: under a steady write load the log never runs dry. */
const SWAP_DRAIN_BATCHES = 20

/**
 * Rebuilds a projection from the start of the log into a fresh schema while the live tables keep answering
 * queries, then swaps the fresh tables in and moves the checkpoint in one transaction.
 *
 * - The fresh schema (`rebuild__<name>`) gets every read-model migration, so its tables, indexes and
 *   constraints carry the live names; only the projection's own `tables` are moved across.
 * - The handler runs unchanged: its transaction's search path is the fresh schema.
 * - The swap locks the projection's checkpoint row first. Every live batch locks that row first too and checks
 *   the checkpoint it expects, so a live runner waits for the swap and then, finding the checkpoint moved,
 *   resubscribes from it instead of writing old rows into the new tables. This works whether or not a projector
 *   holds the lease at the time.
 *
 * @example
 * await rebuildProjection({ db, store, projection: caseListProjection })
 */
export async function rebuildProjection(options: RebuildOptions): Promise<RebuildResult> {
  const { db, store, projection } = options
  const logger = options.logger ?? silentLogger
  const batchSize = options.batchSize ?? 1000
  const caughtUpAfterMs = options.caughtUpAfterMs ?? 250
  const startedAt = Date.now()
  const schema = rebuildSchemaName(projection.name)
  const lockKey = `projection-rebuild:${projection.name}`

  return db.connection().execute(async (pinned) => {
    const { rows } = await sql<{ ok: boolean }>`select pg_try_advisory_lock(hashtext(${lockKey})) as ok`.execute(pinned)
    if (!rows[0]?.ok) throw new RebuildInProgressError(projection.name)
    const subscription = store.subscribeAll({ batchSize })
    try {
      logger.info({ projection: projection.name, schema }, 'rebuild started')
      const liveSchema = await currentSchema(db)
      // Where the live tables stand: once the fresh ones are there, the rest is the swap's short drain and then the
      // live runner's, so a rebuild ends even while writers append faster than it reads. Fixed at the first value
      // past the start (a runner that has only just started has not moved yet), so it cannot run away.
      let target = checkpointOfRow(await ensureCheckpoint(db, projection.name, projection.version))
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db)
      await migrateReadModelsInto(db, schema, options.migrations)
      await db.transaction().execute(async (trx) => {
        await setLocalSearchPath(trx, schema)
        await ensureCheckpoint(trx, projection.name, projection.version)
      })

      // Read through a subscription rather than page by page: it is the one reader that never steps past an
      // event still being committed, and the rebuilt tables must be a gap-free prefix of the log.
      const batcher = new Batcher<DeliveredEvent>(subscription, {
        max: batchSize,
        lingerMs: 5,
        ...(options.signal ? { signal: options.signal } : {}),
      })
      let checkpoint = START
      let events = 0
      for (;;) {
        // Until the fresh tables reach the live ones, silence or a short batch only means a slow reader (a loaded
        // machine, a page still being read): swapping then would put tables behind the live ones in their place,
        // empty even, and a projector that is not running would leave them so. The target is an event the live
        // tables applied, so the reader does get there.
        const targetKnown = compareCheckpoints(target, START) !== 0
        if (targetKnown && compareCheckpoints(checkpoint, target) >= 0) break
        const batch = await batcher.next({ firstWaitMs: caughtUpAfterMs })
        if (batch === null) throw new Error(`rebuild of ${projection.name} aborted`)
        if (batch.length === 0) {
          if (targetKnown) continue
          break
        }
        checkpoint = await applyIsolating(db, projection, batch, checkpoint, { schema })
        events += batch.length
        if (targetKnown) continue
        // No live tables to catch up with (nothing projected yet): a short batch means the reader had nothing more
        // at hand, close enough to the head to swap. Under a steady write load the log never pauses, so waiting for
        // silence alone could go on for ever.
        if (batch.length < batchSize) break
        const live = await readCheckpoint(db, projection.name)
        if (live) target = checkpointOfRow(live)
      }
      await options.beforeSwap?.()

      await db.transaction().execute(async (trx) => {
        await lockCheckpoint(trx, projection.name)
        const { rows: paths } = await sql<{ path: string }>`select current_setting('search_path') as path`.execute(trx)
        await setLocalSearchPath(trx, schema)
        // Whatever arrived since: the live runner is held off now, so this is the last stretch.
        for (let i = 0; i < SWAP_DRAIN_BATCHES; i++) {
          const batch = await batcher.next({ firstWaitMs: 20 })
          if (batch === null) throw new Error(`rebuild of ${projection.name} aborted`)
          if (batch.length === 0) break
          for (const event of selectMatching(projection, batch)) {
            try {
              await projection.handle(trx, [event])
            } catch (error) {
              throw new ProjectionEventError(projection.name, event, error)
            }
          }
          checkpoint = batch.at(-1)!.checkpoint
          events += batch.length
        }
        await sql`select set_config('search_path', ${paths[0]!.path}, true)`.execute(trx)
        for (const table of projection.tables) {
          const { rows: found } = await sql<{ oid: string | null }>`select to_regclass(${`${quoteIdent(schema)}.${quoteIdent(table)}`})::text as oid`.execute(trx)
          if (!found[0]?.oid) throw new Error(`projection ${projection.name}: table ${table} is not created by any read-model migration`)
          await sql`drop table if exists ${sql.id(liveSchema, table)}`.execute(trx)
          await sql`alter table ${sql.id(schema, table)} set schema ${sql.id(liveSchema)}`.execute(trx)
        }
        await moveCheckpoint(trx, projection.name, checkpoint, { version: projection.version })
      })
      const result = { projection: projection.name, checkpoint, events, durationMs: Date.now() - startedAt }
      logger.info({ ...result, checkpoint: checkpointToString(checkpoint) }, 'rebuild swapped in')
      return result
    } finally {
      await subscription.close().catch(() => undefined)
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db).catch(() => undefined)
      await sql`select pg_advisory_unlock(hashtext(${lockKey}))`.execute(pinned).catch(() => undefined)
    }
  })
}

/** Rebuilds several projections one after the other (`cli rebuild --all` passes every registered one). */
export async function rebuildProjections(
  options: Omit<RebuildOptions, 'projection'> & { projections: readonly Projection[] },
): Promise<RebuildResult[]> {
  const results: RebuildResult[] = []
  for (const projection of options.projections) results.push(await rebuildProjection({ ...options, projection }))
  return results
}

/** The schema a projection is rebuilt in. */
export function rebuildSchemaName(projection: string): string {
  return `rebuild__${projection.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63)
}
