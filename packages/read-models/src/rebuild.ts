import { createHash } from 'node:crypto'
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
  /** Told the events read so far after each batch (`cli rebuild` draws its progress line from it). */
  onProgress?: (events: number) => void
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
  const { projection, ...rest } = options
  const [result] = await rebuildProjections({ ...rest, projections: [projection] })
  return result!
}

/** One projection's progress in a rebuild. */
interface Worker {
  projection: Projection
  /** Where the fresh tables stand. */
  checkpoint: Checkpoint
  /** Where the live tables stood when the rebuild began (START: they have applied nothing yet). */
  target: Checkpoint
  /** No live tables to catch up with, and the reader had nothing more at hand: close enough to the head to swap. */
  settled: boolean
  startedAt: number
}

/**
 * Rebuilds several projections in one pass over the log (`cli rebuild --all` passes every registered one), as
 * `rebuildProjection` does for one: one fresh schema migrated once, one subscription, and per batch each
 * projection's own transaction (its rows and its checkpoint together), the projections' transactions running side
 * by side while the next batch is read. The swap moves every projection's tables and checkpoint in one
 * transaction. A projection that fails on an event stops there (named by the `ProjectionEventError` thrown); the
 * others carry on and are swapped in before the error is thrown.
 */
export async function rebuildProjections(
  options: Omit<RebuildOptions, 'projection'> & { projections: readonly Projection[] },
): Promise<RebuildResult[]> {
  const { db, store, projections } = options
  if (projections.length === 0) return []
  const logger = options.logger ?? silentLogger
  const batchSize = options.batchSize ?? 1000
  const caughtUpAfterMs = options.caughtUpAfterMs ?? 250
  const names = projections.map((p) => p.name)
  if (new Set(names).size !== names.length) throw new RangeError(`projections named twice: ${names.join(', ')}`)
  const schema = projections.length === 1 ? rebuildSchemaName(names[0]!) : rebuildSetSchemaName(names)
  const label = names.join(', ')

  return db.connection().execute(async (pinned) => {
    const locked: string[] = []
    const unlockAll = async () => {
      for (const name of locked) {
        await sql`select pg_advisory_unlock(hashtext(${lockKeyOf(name)}))`.execute(pinned).catch(() => undefined)
      }
    }
    for (const name of names) {
      const { rows } = await sql<{ ok: boolean }>`select pg_try_advisory_lock(hashtext(${lockKeyOf(name)})) as ok`.execute(pinned)
      if (!rows[0]?.ok) {
        await unlockAll()
        throw new RebuildInProgressError(name)
      }
      locked.push(name)
    }
    const subscription = store.subscribeAll({ batchSize })
    try {
      const liveSchema = await currentSchema(db)
      const workers: Worker[] = []
      for (const projection of projections) {
        logger.info({ projection: projection.name, schema }, 'rebuild started')
        // Where the live tables stand: once the fresh ones are there, the rest is the swap's short drain and then
        // the live runner's, so a rebuild ends even while writers append faster than it reads. Fixed at the first
        // value past the start (a runner that has only just started has not moved yet), so it cannot run away.
        const target = checkpointOfRow(await ensureCheckpoint(db, projection.name, projection.version))
        workers.push({ projection, checkpoint: START, target, settled: false, startedAt: Date.now() })
      }
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db)
      await migrateReadModelsInto(db, schema, options.migrations)
      await db.transaction().execute(async (trx) => {
        await setLocalSearchPath(trx, schema)
        for (const { projection } of workers) await ensureCheckpoint(trx, projection.name, projection.version)
      })

      // Read through a subscription rather than page by page: it is the one reader that never steps past an
      // event still being committed, and the rebuilt tables must be a gap-free prefix of the log.
      const batcher = new Batcher<DeliveredEvent>(subscription, {
        max: batchSize,
        lingerMs: 5,
        ...(options.signal ? { signal: options.signal } : {}),
      })
      const targetKnown = (w: Worker) => compareCheckpoints(w.target, START) !== 0
      // Until the fresh tables reach the live ones, silence or a short batch only means a slow reader (a loaded
      // machine, a page still being read): swapping then would put tables behind the live ones in their place,
      // empty even, and a projector that is not running would leave them so. The target is an event the live
      // tables applied, so the reader does get there.
      const ready = (w: Worker) => (targetKnown(w) ? compareCheckpoints(w.checkpoint, w.target) >= 0 : w.settled)
      let active = workers
      const failures: Error[] = []
      let events = 0
      while (active.length > 0 && !active.every(ready)) {
        const batch = await batcher.next({ firstWaitMs: caughtUpAfterMs })
        if (batch === null) throw new Error(`rebuild of ${label} aborted`)
        if (batch.length === 0) {
          for (const w of active) if (!targetKnown(w)) w.settled = true
          continue
        }
        // Read the next batch while this one is written, so the reader and the writers wait on PostgreSQL side by
        // side. Only after a full batch: a short one means the reader had nothing more at hand.
        if (batch.length === batchSize) batcher.prefetch()
        const outcomes = await Promise.allSettled(
          active.map((w) => applyIsolating(db, w.projection, batch, w.checkpoint, { schema })),
        )
        const failed = new Set<Worker>()
        outcomes.forEach((outcome, i) => {
          const w = active[i]!
          if (outcome.status === 'fulfilled') w.checkpoint = outcome.value
          else failed.add(w)
        })
        if (failed.size > 0) {
          const errors = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []))
          // The database went away or the like: nothing to do with the events; the whole rebuild stops.
          const transient = errors.find((e) => !(e instanceof ProjectionEventError))
          if (transient !== undefined) throw transient
          for (const error of errors) {
            failures.push(error as ProjectionEventError)
            logger.error({ err: error, projection: (error as ProjectionEventError).projection }, 'rebuild failed on an event')
          }
          active = active.filter((w) => !failed.has(w))
        }
        events += batch.length
        options.onProgress?.(events)
        for (const w of active) {
          if (targetKnown(w)) continue
          // No live tables to catch up with (nothing projected yet): a short batch means the reader had nothing
          // more at hand, close enough to the head to swap. Under a steady write load the log never pauses, so
          // waiting for silence alone could go on for ever.
          if (batch.length < batchSize) w.settled = true
          else {
            const live = await readCheckpoint(db, w.projection.name)
            if (live) w.target = checkpointOfRow(live)
          }
        }
      }
      if (active.length === 0) throw failures[0]!
      await options.beforeSwap?.()

      await db.transaction().execute(async (trx) => {
        // Always the same order, so two swaps of overlapping sets cannot deadlock.
        for (const w of [...active].sort((a, b) => (a.projection.name < b.projection.name ? -1 : 1))) {
          await lockCheckpoint(trx, w.projection.name)
        }
        const { rows: paths } = await sql<{ path: string }>`select current_setting('search_path') as path`.execute(trx)
        await setLocalSearchPath(trx, schema)
        // Whatever arrived since: the live runners are held off now, so this is the last stretch.
        for (let i = 0; i < SWAP_DRAIN_BATCHES; i++) {
          const batch = await batcher.next({ firstWaitMs: 20 })
          if (batch === null) throw new Error(`rebuild of ${label} aborted`)
          if (batch.length === 0) break
          for (const w of active) {
            for (const event of selectMatching(w.projection, batch)) {
              try {
                await w.projection.handle(trx, [event])
              } catch (error) {
                throw new ProjectionEventError(w.projection.name, event, error)
              }
            }
            w.checkpoint = batch.at(-1)!.checkpoint
          }
          events += batch.length
          options.onProgress?.(events)
        }
        await sql`select set_config('search_path', ${paths[0]!.path}, true)`.execute(trx)
        for (const { projection, checkpoint } of active) {
          for (const table of projection.tables) {
            const { rows: found } = await sql<{ oid: string | null }>`select to_regclass(${`${quoteIdent(schema)}.${quoteIdent(table)}`})::text as oid`.execute(trx)
            if (!found[0]?.oid) throw new Error(`projection ${projection.name}: table ${table} is not created by any read-model migration`)
            await sql`drop table if exists ${sql.id(liveSchema, table)}`.execute(trx)
            await sql`alter table ${sql.id(schema, table)} set schema ${sql.id(liveSchema)}`.execute(trx)
          }
          await moveCheckpoint(trx, projection.name, checkpoint, { version: projection.version })
        }
      })
      const results = active.map((w) => ({
        projection: w.projection.name,
        checkpoint: w.checkpoint,
        events,
        durationMs: Date.now() - w.startedAt,
      }))
      for (const result of results) logger.info({ ...result, checkpoint: checkpointToString(result.checkpoint) }, 'rebuild swapped in')
      if (failures.length > 0) throw failures[0]!
      return results
    } finally {
      await subscription.close().catch(() => undefined)
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db).catch(() => undefined)
      await unlockAll()
    }
  })
}

function lockKeyOf(projection: string): string {
  return `projection-rebuild:${projection}`
}

/** The schema several projections are rebuilt in together: named after the set, so disjoint sets never meet. */
function rebuildSetSchemaName(names: readonly string[]): string {
  const digest = createHash('sha256').update([...names].sort().join('\n')).digest('hex').slice(0, 16)
  return `rebuild__set_${digest}`
}

/** The schema a projection is rebuilt in. */
export function rebuildSchemaName(projection: string): string {
  return `rebuild__${projection.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63)
}
