import { ensureMasterKey, MasterKeyMismatchError, PersonalDataVault, type PersonalDataTables } from '@pc/personal-data'
import { startEmbeddedPostgres, type EmbeddedCluster } from '@pc/postgres'
import type { EventStore } from '@pc/event-store'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { Config } from './config.js'
import { openEventStore } from './event-store-factory.js'
import { ConfigError } from './errors.js'
import { ensureJwtSecret } from './jwt-secret.js'
import { createLogger, type Logger } from './logger.js'

/**
 * Read-model tables as kysely sees them. Empty here on purpose: the package that owns the tables adds them by
 * declaration merging, so the runtime's one kysely instance is typed without a cast:
 *
 * @example
 * declare module '@pc/platform' {
 *   interface DatabaseTables extends Database {}
 * }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- a declaration-merging target
export interface DatabaseTables {}

/** Everything a process holds open: the database, the event store, the secret. One per process. */
export interface Runtime {
  readonly config: Config
  readonly logger: Logger
  /** The PostgreSQL the read models (and, without EventStoreDB, the events) live in. Contains a password. */
  readonly databaseUrl: string
  readonly pool: pg.Pool
  readonly db: Kysely<DatabaseTables>
  readonly eventStore: EventStore
  /** The embedded cluster when `DATABASE_URL` is unset. */
  readonly embedded: EmbeddedCluster | undefined
  /** The HS256 secret (`JWT_SECRET`, or generated into `DATA_DIR`): the one new tokens are signed with. */
  readonly jwtSecret: string
  /** Every secret a token may be signed with, the current one first (then `JWT_SECRET_PREVIOUS`, when set). */
  readonly jwtSecrets: readonly string[]
  /** Personal data per data subject (DESIGN §7): seals, opens and forgets; keys in this database. */
  readonly vault: PersonalDataVault
  /** Throws when the database does not answer. */
  pingDatabase(): Promise<void>
  /** Releases everything in reverse order of opening: event store, pool, embedded PostgreSQL. Idempotent. */
  close(): Promise<void>
}

export interface RuntimeOptions {
  logger?: Logger
  /**
   * Connections in the shared pool for queries (event store and read models). Default 10. The pool holds
   * `SUBSCRIPTION_HEADROOM` more on top: each PostgreSQL `$all` subscription keeps one connection for itself.
   */
  poolMax?: number
}

/**
 * Extra pool connections for `subscribeAll` on the PostgreSQL adapter, which holds one connection per open
 * subscription (LISTEN): without them a few subscriptions would take the connections the requests need.
 */
export const SUBSCRIPTION_HEADROOM = 5

/** The database the embedded default keeps its data in (the `postgres` database is left for maintenance). */
export const EMBEDDED_DATABASE = 'property_cases'

/**
 * Opens the process runtime: resolves the database (`DATABASE_URL`, or the embedded PostgreSQL under
 * `DATA_DIR`), creates the shared pool and kysely instance, migrates and opens the event store. If any step
 * fails, what was opened so far is released before the error propagates.
 *
 * @example
 * const runtime = await openRuntime(loadConfig())
 * try { … } finally { await runtime.close() }
 */
export async function openRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const logger = options.logger ?? createLogger(config)
  const undo: Array<() => Promise<void>> = []
  try {
    const jwtSecret = await ensureJwtSecret(config)

    let embedded: EmbeddedCluster | undefined
    let databaseUrl = config.databaseUrl
    if (databaseUrl === undefined) {
      logger.info({ dataDir: config.dataDir }, 'starting embedded PostgreSQL')
      embedded = await startEmbeddedPostgres({
        dataDir: config.dataDir,
        persistent: true,
        onLog: (line) => logger.debug({ postgres: line.trim() }, 'postgres'),
        onRecovery: (message, details) => logger.warn(details, message),
      })
      const cluster = embedded
      undo.push(() => cluster.stop())
      await ensureDatabase(cluster.url, EMBEDDED_DATABASE)
      databaseUrl = cluster.urlFor(EMBEDDED_DATABASE)
      logger.info({ port: cluster.port, joined: !cluster.owned }, 'embedded PostgreSQL ready')
    }

    const pool = new pg.Pool({
      connectionString: databaseUrl,
      max: (options.poolMax ?? 10) + SUBSCRIPTION_HEADROOM,
      idleTimeoutMillis: 30_000,
      application_name: 'property-cases',
      ...poolTimeouts(config.database),
    })
    // A client losing its server emits 'error': an idle one on the pool, a checked-out one (inside a kysely
    // transaction, a LISTEN session) on itself. Unhandled, either would kill the process; the failing query
    // rejects anyway and the pool discards the broken client. The error object holds the whole client
    // (connection parameters included): log its code and message only.
    const onConnectionError = (error: Error & { code?: string }) =>
      logger.warn({ code: error.code, message: error.message }, 'PostgreSQL connection failed')
    pool.on('error', onConnectionError)
    pool.on('connect', (client) => client.on('error', onConnectionError))
    undo.push(() => pool.end())
    // The runtime owns the pool, not kysely: kysely's `destroy()` would end it only if kysely had been used,
    // so kysely gets a view of the pool whose `end` is ours to call.
    const db = new Kysely<DatabaseTables>({
      dialect: new PostgresDialect({ pool: { connect: () => pool.connect(), end: async () => undefined } }),
    })
    undo.push(() => db.destroy())

    const eventStore = await openEventStore(config, pool, logger)
    undo.push(() => eventStore.close())

    const vault = await openVault(config, pool, logger)

    let closing: Promise<void> | undefined
    return Object.freeze({
      config,
      logger,
      databaseUrl,
      pool,
      db,
      eventStore,
      embedded,
      jwtSecret,
      jwtSecrets: Object.freeze(
        config.jwtSecretPrevious !== undefined && config.jwtSecretPrevious !== jwtSecret ? [jwtSecret, config.jwtSecretPrevious] : [jwtSecret],
      ),
      vault,
      async pingDatabase() {
        await pool.query('select 1')
      },
      close() {
        closing ??= releaseAll(undo, logger)
        return closing
      },
    })
  } catch (error) {
    await releaseAll(undo, logger)
    throw error
  }
}

/**
 * The pool's side of `DatabaseTimeouts`. The server-side limits travel in the start-up packet, so every session has
 * them before its first statement; the client-side `query_timeout` covers a server that does not answer at all
 * (stopped, a dead network), where no server-side limit can fire. A 0 leaves that limit off.
 */
export function poolTimeouts(timeouts: Config['database']): pg.PoolConfig {
  const set = (ms: number) => (ms > 0 ? ms : undefined)
  return {
    connectionTimeoutMillis: timeouts.connectTimeoutMs,
    ...(set(timeouts.statementTimeoutMs) && { statement_timeout: timeouts.statementTimeoutMs }),
    ...(set(timeouts.queryTimeoutMs) && { query_timeout: timeouts.queryTimeoutMs }),
    ...(set(timeouts.idleInTransactionTimeoutMs) && { idle_in_transaction_session_timeout: timeouts.idleInTransactionTimeoutMs }),
  }
}

/** The vault on the runtime's pool; a master key that does not open the stored keys stops start-up. */
async function openVault(config: Config, pool: pg.Pool, logger: Logger): Promise<PersonalDataVault> {
  const master = await ensureMasterKey({ piiMasterKey: config.piiMasterKey, dataDir: config.dataDir })
  if (master.source === 'generated') logger.info({ keyId: master.id }, 'generated a personal-data master key into DATA_DIR')
  const db = new Kysely<PersonalDataTables>({
    dialect: new PostgresDialect({ pool: { connect: () => pool.connect(), end: async () => undefined } }),
  })
  try {
    return await PersonalDataVault.open(db, master)
  } catch (error) {
    if (error instanceof MasterKeyMismatchError) throw new ConfigError(`configuration error: ${error.message}`)
    throw error
  }
}

async function releaseAll(undo: Array<() => Promise<void>>, logger: Logger): Promise<void> {
  for (const step of undo.splice(0).reverse()) {
    try {
      await step()
    } catch (error) {
      logger.error({ err: error }, 'failed to release a runtime resource')
    }
  }
}

async function ensureDatabase(serverUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl })
  await client.connect()
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database])
    if (found.rowCount === 0) {
      await client.query(`create database ${database}`).catch((error: { code?: string }) => {
        // 42P04 duplicate_database: another process created it between our check and our create.
        if (error.code !== '42P04') throw error
      })
    }
  } finally {
    await client.end()
  }
}
