import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '@pc/postgres'
import t, { type Test } from 'tap'

/**
 * `start` after the server was SIGKILLed (issue 16): the embedded PostgreSQL it started outlives it, an orphan on the
 * data directory. The next start must stop that orphan cleanly, say so, start its own, and find the data.
 */

const child = join(dirname(fileURLToPath(import.meta.url)), 'support', 'serve-child.ts')

interface Child {
  proc: ReturnType<typeof spawn>
  exited: Promise<number | null>
  output: () => string
  url: string
}

/** serve-child on the embedded PostgreSQL under `dataDir` (no DATABASE_URL), resolved once it listens. */
async function start(t: Test, dataDir: string): Promise<Child> {
  const port = await freePort()
  const env: Record<string, string | undefined> = { ...process.env, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'info', JWT_SECRET: 'x'.repeat(40) }
  // The embedded cluster is the point: neither an explicit database nor the run's shared one.
  delete env.DATABASE_URL
  delete env.TEST_PG_URL
  const proc = spawn(process.execPath, ['--import', 'tsx', child], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let onOutput = () => {}
  const listening = new Promise<void>((resolve, reject) => {
    onOutput = () => {
      if (out.includes('listening on')) resolve()
    }
    proc.on('exit', (code, signal) => reject(new Error(`serve-child exited (${code ?? signal}) before listening:\n${out}`)))
  })
  proc.stdout!.on('data', (chunk) => ((out += chunk), onOutput()))
  proc.stderr!.on('data', (chunk) => ((out += chunk), onOutput()))
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)))
  t.teardown(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
  })
  await listening
  return { proc, exited, output: () => out, url: `http://127.0.0.1:${port}` }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function postmasterPid(dataDir: string): Promise<number | undefined> {
  const text = await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').catch(() => '')
  const pid = Number.parseInt(text.split('\n')[0] ?? '', 10)
  return Number.isInteger(pid) && pid > 0 ? pid : undefined
}

/** pino lines of a child's output, parsed. */
function logLines(output: string): Array<Record<string, unknown>> {
  return output.split('\n').flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>]
    } catch {
      return []
    }
  })
}

t.test('SIGKILL the server, start again: the orphaned PostgreSQL is stopped, a new one starts, the data is there', { timeout: 180_000 }, async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'pc-restart-'))
  t.teardown(async () => {
    // Whatever a failed assertion left running on this directory.
    const pid = await postmasterPid(dataDir)
    if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGINT')
    await rm(dataDir, { recursive: true, force: true })
  })

  const first = await start(t, dataDir)
  const appended = await fetch(`${first.url}/events/restart-1`, { method: 'POST' })
  t.equal(appended.status, 200, 'an event is appended')
  const { eventId } = (await appended.json()) as { eventId: string }
  const orphan = await postmasterPid(dataDir)
  t.ok(orphan !== undefined, 'the first server started an embedded PostgreSQL')

  first.proc.kill('SIGKILL')
  await first.exited
  t.ok(alive(orphan!), 'the PostgreSQL outlives the killed server (the orphan the next start meets)')

  const second = await start(t, dataDir)
  t.notOk(alive(orphan!), 'the orphan was stopped')
  const recovery = logLines(second.output()).find((line) => String(line.msg).startsWith('stopped a PostgreSQL left running'))
  t.ok(recovery, 'a log line names what start-up did')
  t.equal(recovery?.pid, orphan, 'and which process it stopped')
  t.notMatch(second.output(), /undefined/, 'no message says undefined')

  const ready = await fetch(`${second.url}/health/ready`)
  t.equal(ready.status, 200, 'ready')
  const stored = (await (await fetch(`${second.url}/events/restart-1`)).json()) as { ids: string[] }
  t.same(stored.ids, [eventId], 'the event appended before the kill is there')
  const again = await fetch(`${second.url}/events/restart-1`, { method: 'POST' })
  t.equal(again.status, 200, 'and the store takes new events')

  const restarted = await postmasterPid(dataDir)
  t.not(restarted, orphan, 'the new server runs its own PostgreSQL')
  second.proc.kill('SIGTERM')
  t.equal(await second.exited, 0, 'a clean shutdown afterwards')
  t.notOk(restarted !== undefined && alive(restarted), 'which stops that PostgreSQL too')
})
