import t from 'tap'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { startEmbeddedPostgres } from '../src/index.js'

async function count(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return Number((await client.query<{ n: string }>('select count(*) as n from kept')).rows[0]!.n)
  } finally {
    await client.end()
  }
}

t.test('a cluster stopped cleanly starts again on its data directory, with its data and its password', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pc-embedded-restart-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const first = await startEmbeddedPostgres({ dataDir: dir, durable: false })
  const client = new pg.Client({ connectionString: first.url })
  await client.connect()
  await client.query('create table kept (n int); insert into kept values (1), (2)')
  await client.end()
  await first.stop()
  const recorded = JSON.parse(await readFile(join(dir, 'cluster.json'), 'utf8')) as { pid: number }
  t.equal(recorded.pid, 0, 'the file says no process runs the server any more')

  // The cluster was initialised with the first start's password: the second start must log in with the same one.
  const second = await startEmbeddedPostgres({ dataDir: dir, durable: false })
  t.teardown(() => second.stop())
  t.ok(second.owned, 'started, not joined: nobody was running it')
  t.equal(await count(second.url), 2, 'the rows written before the stop are there')
})
