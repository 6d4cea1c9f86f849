import { randomBytes } from 'node:crypto'
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

async function serverUrl(): Promise<string> {
  const explicit = process.env.DATABASE_URL ?? process.env.TEST_PG_URL
  if (explicit) return explicit
  ownCluster ??= mkdtemp(join(tmpdir(), 'pc-test-pg-')).then((dir) =>
    startEmbeddedPostgres({ dataDir: dir, persistent: false }),
  )
  const cluster = await ownCluster
  process.once('beforeExit', () => void cluster.stop())
  return cluster.url
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

export async function testDatabase(t: Teardown): Promise<TestDatabase> {
  const base = await serverUrl()
  const name = `t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: base })
  await admin.connect()
  try {
    await admin.query(`create database ${name}`)
  } finally {
    await admin.end()
  }
  t.teardown(async () => {
    const client = new pg.Client({ connectionString: base })
    await client.connect()
    try {
      await client.query(`drop database if exists ${name} with (force)`)
    } finally {
      await client.end()
    }
  })
  return { url: withDatabase(base, name), name }
}
