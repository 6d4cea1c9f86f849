import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { startEmbeddedPostgres, type EmbeddedCluster } from '@pc/postgres'

/**
 * The one PostgreSQL every contender of a run talks to: an embedded, throw-away cluster with the server's default
 * durability (fsync and synchronous_commit on; nothing is relaxed for speed), or the server at `BENCH_DATABASE_URL`.
 * Each contender gets its own database on it.
 */
export interface BenchCluster {
  /** Creates an empty database and returns its URL. */
  database(name: string): Promise<string>
  /** The settings that decide what a commit costs, as the server reports them. */
  durability(): Promise<Record<string, string>>
  /** Flushes dirty buffers so one contender's writes are not paid for by the next one's checkpoint. */
  checkpoint(): Promise<void>
  /** The PostgreSQL server version. */
  version(): Promise<string>
  stop(): Promise<void>
}

const DURABILITY_SETTINGS = ['fsync', 'synchronous_commit', 'wal_sync_method', 'full_page_writes', 'shared_buffers', 'max_wal_size']

async function admin<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<T>(sql)).rows
  } finally {
    await client.end()
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

export async function startBenchCluster(): Promise<BenchCluster> {
  const external = process.env.BENCH_DATABASE_URL
  let embedded: EmbeddedCluster | undefined
  let dataDir: string | undefined
  if (!external) {
    dataDir = await mkdtemp(join(tmpdir(), 'pc-bench-pg-'))
    embedded = await startEmbeddedPostgres({ dataDir, persistent: false })
  }
  const base = external ?? embedded!.url
  const created: string[] = []
  return {
    async database(name) {
      const database = `bench_${name}_${process.pid}`
      await admin(base, `drop database if exists ${database} with (force)`)
      await admin(base, `create database ${database}`)
      created.push(database)
      return withDatabase(base, database)
    },
    async durability() {
      const settings: Record<string, string> = {}
      for (const name of DURABILITY_SETTINGS) {
        const [row] = await admin<Record<string, string>>(base, `show ${name}`)
        settings[name] = row![name]!
      }
      return settings
    },
    async checkpoint() {
      await admin(base, 'checkpoint')
    },
    async version() {
      const [row] = await admin<{ server_version: string }>(base, 'show server_version')
      return row!.server_version
    },
    async stop() {
      if (external) {
        for (const database of created) await admin(base, `drop database if exists ${database} with (force)`).catch(() => undefined)
        return
      }
      // The cluster is thrown away: an immediate shutdown (SIGQUIT after the package's SIGINT) skips the shutdown
      // checkpoint, which takes seconds after a run that wrote a few hundred MB.
      const pidFile = await readFile(join(dataDir!, 'postgres', 'postmaster.pid'), 'utf8').catch(() => '')
      const pid = Number.parseInt(pidFile.split('\n')[0] ?? '', 10)
      const stopped = embedded!.stop()
      if (Number.isInteger(pid) && pid > 0) {
        try {
          process.kill(pid, 'SIGQUIT')
        } catch {
          // Already gone.
        }
      }
      await stopped
      await rm(dataDir!, { recursive: true, force: true })
    },
  }
}
