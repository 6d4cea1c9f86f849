import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'

// A test file run on its own (no TEST_PG_URL, no DATABASE_URL) starts its own cluster; when its last database is
// dropped the cluster must stop, or the postgres child keeps the process alive forever.
t.test('a process with its own test cluster exits once its databases are dropped', async (t) => {
  const script = `
    import pg from 'pg'
    import { testDatabase } from ${JSON.stringify(fileURLToPath(new URL('../src/testing.ts', import.meta.url)))}
    const teardowns = []
    const db = await testDatabase({ teardown: (fn) => teardowns.push(fn) })
    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    const { rows } = await client.query('select current_database() as name')
    await client.end()
    console.log(rows[0].name === db.name ? 'connected' : 'wrong database')
    for (const fn of teardowns) await fn()
  `
  const env = { ...process.env }
  delete env.TEST_PG_URL
  delete env.DATABASE_URL
  const child = spawn(process.execPath, ['--import=tsx', '--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
  clearTimeout(killer)
  t.equal(out.trim(), 'connected')
  t.equal(code, 0, 'exited by itself with code 0 (not killed after 60 s)')
})

