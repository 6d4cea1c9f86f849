import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '@pc/postgres'
import { testDatabase } from '@pc/postgres/testing'
import t, { type Test } from 'tap'

/** `serve` in a process of its own, as every service's `main.ts` runs it: signals, crashes and exit codes. */

const child = join(dirname(fileURLToPath(import.meta.url)), 'support', 'serve-child.ts')

async function start(t: Test, env: Record<string, string> = {}) {
  const db = await testDatabase(t)
  const dataDir = await mkdtemp(join(tmpdir(), 'pc-serve-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const port = await freePort()
  const proc = spawn(process.execPath, ['--import', 'tsx', child], {
    env: { ...process.env, DATABASE_URL: db.url, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'info', JWT_SECRET: 'x'.repeat(40), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  proc.stdout.on('data', (chunk) => (out += chunk))
  proc.stderr.on('data', (chunk) => (out += chunk))
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)))
  t.teardown(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
  })
  const deadline = Date.now() + 60_000
  while (!out.includes('listening on') && proc.exitCode === null && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  if (!out.includes('listening on')) throw new Error(`serve-child did not start:\n${out}`)
  return { proc, exited, output: () => out, url: `http://127.0.0.1:${port}` }
}

/** The `msg` of each pino line, in order, with the plain lines the child writes. */
function events(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return String((JSON.parse(line) as { msg?: unknown }).msg)
      } catch {
        return line
      }
    })
}

t.test('SIGTERM: the server closes while the database is still open, then the runtime; exit 0', async (t) => {
  const s = await start(t)
  t.equal((await fetch(`${s.url}/ping`)).status, 200, 'it serves')
  s.proc.kill('SIGTERM')
  t.equal(await s.exited, 0)
  const seen = events(s.output())
  const at = (msg: string) => seen.indexOf(msg)
  t.ok(at('shutting down') >= 0, 'logs the shutdown')
  t.ok(at('shutting down') < at('server closed, database still open'), 'server first')
  t.ok(at('server closed, database still open') < at('stopped'), 'then the runtime, then done')
})

t.test('an uncaught exception is logged, closes everything in order and exits 1', async (t) => {
  const s = await start(t, { SERVE_CHILD_CRASH: '1' })
  t.equal(await s.exited, 1)
  const seen = events(s.output())
  t.ok(seen.includes('uncaught exception'), 'logged as fatal')
  t.match(s.output(), /boom outside any request/)
  t.ok(seen.indexOf('server closed, database still open') < seen.indexOf('stopped'), 'the server and runtime still closed')
})

t.test('a shutdown that overruns the 15 s deadline exits 1', { timeout: 60_000 }, async (t) => {
  const s = await start(t, { SERVE_CHILD_SLOW_CLOSE: '1' })
  const began = Date.now()
  s.proc.kill('SIGINT')
  t.equal(await s.exited, 1)
  const took = Date.now() - began
  t.ok(took >= 14_000 && took < 40_000, `gave up after ${took} ms`)
  t.ok(events(s.output()).includes('shutdown did not finish in time; exiting'))
})
