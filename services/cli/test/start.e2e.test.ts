import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { signToken } from '@pc/platform'
import { freePort } from '@pc/postgres'
import { testDatabase } from '@pc/postgres/testing'
import t, { type Test } from 'tap'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const main = join(repo, 'services', 'cli', 'src', 'main.ts')

interface Started {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  exited: Promise<number | null>
}

/** `pnpm start` as a user runs it (minus pnpm): a child process with only the environment we give it. */
function start(t: Test, env: Record<string, string>): Started {
  const base = { ...process.env }
  delete base.DATABASE_URL
  delete base.TEST_PG_URL
  const child = spawn(process.execPath, ['--import', 'tsx', main, 'start'], {
    cwd: repo,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (chunk) => (out += chunk))
  child.stderr.on('data', (chunk) => (err += chunk))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  return { child, stdout: () => out, stderr: () => err, exited }
}

async function tempDataDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pc-cli-start-'))
  t.teardown(async () => {
    // If the server died without stopping its PostgreSQL, stop it here rather than leave it running.
    const pidText = await readFile(join(dir, 'postgres', 'postmaster.pid'), 'utf8').catch(() => '')
    const pid = Number.parseInt(pidText.split('\n')[0] ?? '', 10)
    if (Number.isInteger(pid) && pid > 0) {
      try {
        process.kill(pid, 'SIGINT')
      } catch {
        // already gone
      }
    }
    await rm(dir, { recursive: true, force: true })
  })
  return dir
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (condition()) return true
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return condition()
}

t.test('start with a PORT that is not a number exits 1 with one line naming PORT', async (t) => {
  const dataDir = await tempDataDir(t)
  const run = start(t, { DATA_DIR: dataDir, PORT: 'abc' })
  t.equal(await run.exited, 1)
  t.equal(run.stderr(), 'configuration error: PORT must be an integer 1-65535 (got "abc")\n')
  t.equal(run.stdout(), '', 'nothing else is printed')
})

t.test('start with a malformed DATABASE_URL exits 1 with one line naming DATABASE_URL', async (t) => {
  const dataDir = await tempDataDir(t)
  const run = start(t, { DATA_DIR: dataDir, DATABASE_URL: 'mysql://root:hunter2@db/cases' })
  t.equal(await run.exited, 1)
  const lines = run.stderr().split('\n').filter(Boolean)
  t.equal(lines.length, 1, 'one line')
  t.match(lines[0], /^configuration error: DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/)
  t.notMatch(run.stderr(), /hunter2/, 'the password is not echoed')
  t.notOk(existsSync(join(dataDir, 'postgres')), 'no database was started')
})

t.test('start serves the command API, the query API and the projector on one port, then stops cleanly on SIGTERM', async (t) => {
  const dataDir = await tempDataDir(t)
  const port = await freePort()
  const env: Record<string, string> = { DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' }
  // The embedded default is what a fresh clone runs; with DATABASE_URL set the suite uses that server instead.
  if (process.env.DATABASE_URL) env.DATABASE_URL = (await testDatabase(t)).url
  const run = start(t, env)
  const announced = `listening on http://127.0.0.1:${port}\n`
  const listening = await waitFor(() => run.stdout().includes(announced) || run.child.exitCode !== null, 90_000)
  t.ok(listening && run.stdout().includes(announced), 'prints the URL', { stdout: run.stdout(), stderr: run.stderr() })

  const res = await fetch(`http://127.0.0.1:${port}/health/ready`)
  t.equal(res.status, 200)
  t.same(await res.json(), { status: 'ready', checks: { database: 'up', eventStore: 'up' } })
  if (!process.env.DATABASE_URL) {
    t.ok(existsSync(join(dataDir, 'jwt-secret')), 'a JWT secret was generated into DATA_DIR')
    t.ok(existsSync(join(dataDir, 'postgres', 'postmaster.pid')), 'the embedded PostgreSQL runs from DATA_DIR')
  }

  // One process projects what it accepts: a case reported over HTTP is listed once the projector has passed it.
  const secret = (await readFile(join(dataDir, 'jwt-secret'), 'utf8')).trim()
  const resident = await signToken(secret, { sub: 'resident-1', roles: ['resident'], units: ['B1-101'] })
  const staff = await signToken(secret, { sub: 'staff-1', roles: ['staff'] })
  const reported = await fetch(`http://127.0.0.1:${port}/v1/cases`, {
    method: 'POST',
    headers: { authorization: `Bearer ${resident}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      kind: 'repair',
      category: 'lift',
      title: 'Lift stuck',
      description: 'Between floors 3 and 4',
      channel: 'app',
      priority: 'urgent',
      location: { building: 'B1', unit: '101' },
    }),
  })
  t.equal(reported.status, 201)
  const { id, position } = (await reported.json()) as { id: string; position: string }
  const listed = await fetch(`http://127.0.0.1:${port}/v1/cases?waitFor=${position}`, { headers: { authorization: `Bearer ${staff}` } })
  t.equal(listed.status, 200)
  t.ok(BigInt(listed.headers.get('x-projection-position') ?? '-1') >= 0n, 'the answer says where the read model stands')
  const { cases } = (await listed.json()) as { cases: Array<{ id: string; status: string }> }
  t.same(cases.map((c) => [c.id, c.status]), [[id, 'reported']], 'the case just reported is listed: the projector runs in this process')

  run.child.kill('SIGTERM')
  t.equal(await run.exited, 0, 'exits 0 after a graceful shutdown')
  t.notOk(existsSync(join(dataDir, 'postgres', 'postmaster.pid')), 'the embedded PostgreSQL was stopped')
  // The cluster file stays, with its password (the cluster was initialised with it), marked as run by nobody.
  t.match(JSON.parse(readFileSync(join(dataDir, 'cluster.json'), 'utf8')), { pid: 0, password: String }, 'the cluster file says nobody runs it now')
  t.equal(run.stderr(), '', 'nothing on stderr')
})
