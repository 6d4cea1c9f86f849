import { createHash, randomUUID } from 'node:crypto'
import { canonicalJson } from '@pc/ledger'
import { IdempotencyKeyReusedError, StoreUnavailableError } from '@pc/contracts'
import { toProblem, type DatabaseTables } from '@pc/platform'
import { Migrator, sql, type Generated, type Kysely, type Migration } from 'kysely'

/**
 * Durable `Idempotency-Key`s for the command API (DESIGN §5, issue 3).
 *
 * Where the table lives, and why: `command_idempotency` is command-side state, not a read model — it is written by
 * the command API while it answers, never by a projection, and a projection rebuild must not drop it. So it has
 * its own small kysely migrator with its own history tables (`command_api_migrations`, `…_lock`), run when the
 * command app starts, beside the event store's and the read models' but never mixed with them.
 *
 * A key belongs to the caller: the row is keyed by (actor id, key), so two clients that happen to pick the same
 * key never see each other's answers. The row is claimed *before* the command runs and completed with the answer
 * after it; a concurrent request with the same key waits for the answer instead of running the command again.
 * Only accepted commands are remembered: a refused one (403/404/409/422; a 400 never reaches the claim) gives
 * its claim back, having appended nothing, so sending it again under the same key simply decides again. After an
 * infrastructure failure the claim is kept: the append may have committed unseen, so a retry waits until the
 * claim is stale (older than `REQUEST_TIMEOUT_MS`, by when the first request has been answered), takes over, and
 * answers from the events it finds under the key's derived ids (see `command-route.ts`).
 *
 * Keys live `IDEMPOTENCY_TTL_HOURS` (24 by default): the projector's purge job deletes older ones in batches
 * (`purgeExpiredKeys`), after which the key is new. "New" must hold for the ids too: the event and aggregate ids a
 * request derives from its key also take the claim's own `ids_seed` (a uuid made when the key is first claimed,
 * kept by a takeover), so a key used again after its purge names a new case rather than the old one.
 */

/** The table, as kysely sees it (declaration-merged into the runtime's one kysely instance). */
export interface CommandIdempotencyTable {
  actor_id: string
  key: string
  /** sha256 of the canonical JSON of method, path and validated body. */
  fingerprint: string
  /** Null while the first request is still running. */
  status_code: number | null
  response: unknown
  claimed_at: Generated<Date>
  completed_at: Date | null
  /** Mixed into the ids the request derives from its key; null for keys claimed before it existed. */
  ids_seed: string | null
}

declare module '@pc/platform' {
  interface DatabaseTables {
    command_idempotency: CommandIdempotencyTable
  }
}

/** Own names, so this history never mixes with the event store's or the read models'. */
export const COMMAND_MIGRATION_TABLE = 'command_api_migrations'
export const COMMAND_MIGRATION_LOCK_TABLE = 'command_api_migrations_lock'

export const commandMigrations: Readonly<Record<string, Migration>> = {
  '0001_command_idempotency': {
    async up(db) {
      await sql`
        create table command_idempotency (
          actor_id      text not null,
          key           text not null,
          fingerprint   text not null,
          status_code   integer,
          response      jsonb,
          claimed_at    timestamptz not null default now(),
          completed_at  timestamptz,
          primary key (actor_id, key)
        )`.execute(db)
    },
  },
  '0002_idempotency_expiry': {
    async up(db) {
      await sql`alter table command_idempotency add column ids_seed uuid`.execute(db)
      // The purge's range scan: keys by the time they were answered (or, never answered, claimed).
      await sql`create index command_idempotency_expiry on command_idempotency ((coalesce(completed_at, claimed_at)))`.execute(db)
    },
  },
}

/** Brings the command API's own tables to the latest migration. Safe to run from several processes at once. */
export async function migrateCommandApi(db: Kysely<DatabaseTables>): Promise<void> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db)
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...commandMigrations }) },
    migrationTableName: COMMAND_MIGRATION_TABLE,
    migrationLockTableName: COMMAND_MIGRATION_LOCK_TABLE,
    // Named, so kysely's "does the table exist" never finds another schema's copy.
    ...(rows[0]?.schema ? { migrationTableSchema: rows[0].schema } : {}),
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName
    throw new Error(`command-api migration ${failed ?? '(setup)'} failed: ${String(error)}`, { cause: error })
  }
}

type Db = Kysely<DatabaseTables>

/** What a completed key answers again. */
export interface StoredAnswer {
  statusCode: number
  body: Record<string, unknown>
}

export type Claim =
  /** This request owns the key: run the command, then `completeKey` or `releaseKey`. */
  | { kind: 'claimed'; takeover: boolean; idsSeed: string | null }
  /** The key was used before with the same request: answer this. */
  | { kind: 'answered'; answer: StoredAnswer }

/**
 * A pending claim older than this may be taken over. A request is answered within `REQUEST_TIMEOUT_MS` (503 at the
 * latest), so by then its client may retry; the owner may still be running, and a takeover is safe anyway: both
 * derive the same event ids, the store takes them once, and the loser answers from the events it finds.
 */
export const DEFAULT_STALE_CLAIM_MS = 60_000
/** How long a request waits for a concurrent request with the same key to finish. */
const WAIT_FOR_OWNER_MS = 10_000
const POLL_MS = 20

/** Fingerprint of a request: a key reused for anything else (another route, case or body) is refused. */
export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(canonicalJson({ method, path, body: body ?? null }))
    .digest('hex')
}

/**
 * Claims `key` for this request, or answers what the key answered before. Throws `IdempotencyKeyReusedError`
 * when the key was used with another request.
 */
export async function claimKey(
  db: Db,
  actorId: string,
  key: string,
  fingerprint: string,
  staleClaimMs = DEFAULT_STALE_CLAIM_MS,
): Promise<Claim> {
  const deadline = Date.now() + WAIT_FOR_OWNER_MS
  for (;;) {
    const idsSeed = randomUUID()
    const inserted = await db
      .insertInto('command_idempotency')
      .values({ actor_id: actorId, key, fingerprint, status_code: null, response: null, completed_at: null, ids_seed: idsSeed })
      .onConflict((oc) => oc.columns(['actor_id', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst()
    if (inserted) return { kind: 'claimed', takeover: false, idsSeed }

    const row = await db
      .selectFrom('command_idempotency')
      .select(['fingerprint', 'status_code', 'response', 'ids_seed'])
      .where('actor_id', '=', actorId)
      .where('key', '=', key)
      .executeTakeFirst()
    if (row) {
      if (row.fingerprint !== fingerprint) throw new IdempotencyKeyReusedError(key)
      if (row.status_code !== null) {
        return { kind: 'answered', answer: { statusCode: row.status_code, body: row.response as Record<string, unknown> } }
      }
      // Pending. If its owner died between claiming and answering, the first to move the stale claim takes over:
      // the row lock and PostgreSQL's re-check of the condition let exactly one such update through.
      const taken = await db
        .updateTable('command_idempotency')
        .set({ claimed_at: sql`now()` })
        .where('actor_id', '=', actorId)
        .where('key', '=', key)
        .where('status_code', 'is', null)
        .where(sql<boolean>`claimed_at < now() - make_interval(secs => ${staleClaimMs / 1000})`)
        .executeTakeFirst()
      if (taken.numUpdatedRows > 0n) return { kind: 'claimed', takeover: true, idsSeed: row.ids_seed }
    }
    // Pending (or released an instant ago): wait for the owner's answer, or claim the key once it is given back.
    if (Date.now() > deadline) {
      throw new StoreUnavailableError('a request with this Idempotency-Key is still being processed; retry later')
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
}

/** Records the answer of a claimed key. */
export async function completeKey(db: Db, actorId: string, key: string, answer: StoredAnswer): Promise<void> {
  await db
    .updateTable('command_idempotency')
    .set({ status_code: answer.statusCode, response: JSON.stringify(answer.body), completed_at: sql`now()` })
    .where('actor_id', '=', actorId)
    .where('key', '=', key)
    .execute()
}

/** Gives a claimed key back after the command was refused (nothing was appended). */
export async function releaseKey(db: Db, actorId: string, key: string): Promise<void> {
  await db
    .deleteFrom('command_idempotency')
    .where('actor_id', '=', actorId)
    .where('key', '=', key)
    .where('status_code', 'is', null)
    .execute()
}

/**
 * Runs a command under an `Idempotency-Key` (the orchestration `commandRoute` relies on): claims the key, or
 * answers what it answered before (`replayed`); runs `command`; records its answer. A refused command (a 4xx) gives
 * the key back, having appended nothing. After an infrastructure failure the claim stays until it goes stale and a
 * retry takes it over (`takeover: true`), finding whatever the first run appended.
 *
 * @example
 * const { answer, replayed } = await idempotently(db, { actorId, key, fingerprint }, ({ takeover }) => run(takeover))
 */
export async function idempotently(
  db: Db,
  request: { actorId: string; key: string; fingerprint: string; staleClaimMs?: number },
  command: (claim: { takeover: boolean; idsSeed: string | null }) => Promise<StoredAnswer>,
): Promise<{ answer: StoredAnswer; replayed: boolean }> {
  const { actorId, key } = request
  const claim = await claimKey(db, actorId, key, request.fingerprint, request.staleClaimMs)
  if (claim.kind === 'answered') return { answer: claim.answer, replayed: true }
  try {
    const answer = await command({ takeover: claim.takeover, idsSeed: claim.idsSeed })
    await completeKey(db, actorId, key, answer)
    return { answer, replayed: false }
  } catch (error) {
    if (toProblem(error).kind === 'client') await releaseKey(db, actorId, key).catch(() => undefined)
    throw error
  }
}

/** Keys deleted per statement: short transactions, so the purge never holds up the commands writing keys. */
export const PURGE_BATCH_SIZE = 1000

/**
 * Deletes the keys answered (or, never answered, claimed) more than `ttlHours` before `now`, `batchSize` rows per
 * statement until none is left; answers how many. A key purged is new: the same key then runs its request again.
 * Before the command API has created its table there is nothing to purge (0).
 *
 * @example
 * await purgeExpiredKeys(db, { now: new Date(), ttlHours: 24 }) // → 1234
 */
export async function purgeExpiredKeys<Tables>(
  db: Kysely<Tables>,
  options: { now: Date; ttlHours: number; batchSize?: number; signal?: AbortSignal },
): Promise<number> {
  const cutoff = new Date(options.now.getTime() - options.ttlHours * 3_600_000)
  const batchSize = options.batchSize ?? PURGE_BATCH_SIZE
  let purged = 0
  for (;;) {
    let deleted: bigint
    try {
      const result = await sql`
        delete from command_idempotency
         where (actor_id, key) in (
           select actor_id, key from command_idempotency
            where coalesce(completed_at, claimed_at) < ${cutoff}
            limit ${batchSize})`.execute(db)
      deleted = result.numAffectedRows ?? 0n
    } catch (error) {
      // 42P01 undefined_table: a projector started before any command API migrated.
      if ((error as { code?: unknown }).code === '42P01') return purged
      throw error
    }
    purged += Number(deleted)
    if (deleted < BigInt(batchSize) || options.signal?.aborted) return purged
  }
}
