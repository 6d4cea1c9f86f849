import type { Kysely } from 'kysely'
import { START, compareCheckpoints, type Checkpoint, type EventStore } from '@pc/event-store'
import { checkpointOfRow } from './checkpoints.js'
import type { Database } from './database.js'
import { sleep } from './lease.js'

export interface WaitForOptions {
  /** Give up after this long (default 5000 ms, the query API's read-your-writes bound). */
  timeoutMs?: number
  /** How often to look at the checkpoints again (default 20 ms). */
  pollMs?: number
  signal?: AbortSignal
}

/**
 * Waits until every named projection has applied the event stored at `position`; true if they have, false on
 * timeout.
 *
 * "Applied" is a comparison in DELIVERY order: the event's own checkpoint must be at or before the
 * projection's. Comparing positions instead (`checkpoint.position >= position`) is wrong on PostgreSQL, where a
 * transaction holding a lower position can commit after one holding a higher position, so a projection can be
 * past position 11 while position 10 is still to come (DESIGN §3).
 *
 * @example
 * if (!(await waitForProjections(db, store, ['case-list'], 42n))) reply.header('X-Projection-Stale', 'true')
 */
export async function waitForProjections(
  db: Kysely<Database>,
  store: Pick<EventStore, 'checkpointOf'>,
  names: readonly string[],
  position: bigint,
  options: WaitForOptions = {},
): Promise<boolean> {
  const deadline = Date.now() + (options.timeoutMs ?? 5000)
  const pollMs = options.pollMs ?? 20
  let target: Checkpoint | null = null
  for (;;) {
    // A position handed out by a command is committed; one that is not (yet) stored might be a later one's, so
    // it is looked up again until the deadline rather than failing at once.
    target ??= await store.checkpointOf(position)
    if (target && (await projectionsReached(db, names, target))) return true
    if (Date.now() >= deadline || options.signal?.aborted) return false
    await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())), options.signal)
  }
}

/** True when every named projection's stored checkpoint is at or after `target` in delivery order. */
export async function projectionsReached(db: Kysely<Database>, names: readonly string[], target: Checkpoint): Promise<boolean> {
  const checkpoints = await readCheckpoints(db, names)
  return names.every((name) => {
    const checkpoint = checkpoints.get(name)
    return checkpoint !== undefined && compareCheckpoints(target, checkpoint) <= 0
  })
}

/**
 * The value of the `X-Projection-Position` header: the position of the checkpoint of the projection furthest
 * behind among `names` (decimal string; "-1" before any has applied anything). Passing it back as `waitFor`
 * is always satisfied by the same read models, because it is compared in delivery order.
 */
export async function projectionPosition(db: Kysely<Database>, names: readonly string[]): Promise<string> {
  const checkpoints = await readCheckpoints(db, names)
  let lowest: Checkpoint | null = null
  for (const name of names) {
    const checkpoint = checkpoints.get(name) ?? START
    if (lowest === null || compareCheckpoints(checkpoint, lowest) < 0) lowest = checkpoint
  }
  return (lowest ?? START).position.toString()
}

async function readCheckpoints(db: Kysely<Database>, names: readonly string[]): Promise<Map<string, Checkpoint>> {
  if (names.length === 0) return new Map()
  const rows = await db
    .selectFrom('projection_checkpoints')
    .select(['name', 'tx_id', 'position'])
    .where('name', 'in', [...names])
    .execute()
  return new Map(rows.map((row) => [row.name, checkpointOfRow(row)]))
}
