import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StoreUnavailableError } from '@pc/contracts'
import { testDatabase } from '@pc/postgres/testing'
import t, { type Test } from 'tap'
import { createHttpServer, createLogger, loadConfig, openRuntime, REDACTED } from '../src/index.js'

// Issue 16 item 2: a body with a NUL byte made PostgreSQL echo the request text into `err.where`, which the error
// handler logged, and redaction blanked `err.name`. Errors from the database are logged by code and constraint.

const SECRET_TEXT = 'Zhang San 13800138000'

async function open(t: Test) {
  const db = await testDatabase(t)
  const dataDir = await mkdtemp(join(tmpdir(), 'pc-logger-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const config = loadConfig({ DATABASE_URL: db.url, DATA_DIR: dataDir, JWT_SECRET: 'x'.repeat(40), LOG_LEVEL: 'info' })
  const lines: string[] = []
  const logger = createLogger(config, { destination: { write: (line: string) => lines.push(line) } })
  const runtime = await openRuntime(config, { logger, poolMax: 2 })
  t.teardown(() => runtime.close())
  return { config, runtime, logger, lines }
}

/** The query PostgreSQL refuses while quoting its argument (in `where`) and naming it (in `detail`). */
const NUL_IN_JSON = 'select $1::jsonb as v'
const nulInJson = (pool: { query(sql: string, values: unknown[]): Promise<unknown> }) =>
  pool.query(NUL_IN_JSON, [JSON.stringify({ reporter: `${SECRET_TEXT}\u0000` })])

t.test('a database error behind a 500 is logged by code, with its class name, never by where/detail/query/parameters', async (t) => {
  const { config, runtime, lines } = await open(t)
  const app = await createHttpServer(config, runtime)
  app.post('/boom', async () => {
    await nulInJson(runtime.pool)
    return {}
  })
  t.teardown(() => app.close())

  const res = await app.inject({ method: 'POST', url: '/boom', payload: {} })
  t.equal(res.statusCode, 500)
  const failed = lines.map((line) => JSON.parse(line) as { msg: string; err?: Record<string, unknown> }).find((l) => l.err)
  t.ok(failed, 'the failure is logged')
  const err = failed!.err!
  t.equal(err.code, '22P05', 'the SQLSTATE is there')
  t.equal(err.type, 'DatabaseError')
  t.equal(err.name, 'error', "node-postgres' own name survives redaction")
  t.equal(err.message, 'database error 22P05')
  for (const field of ['where', 'detail', 'query', 'parameters', 'hint', 'internalQuery']) t.notOk(field in err, `no ${field}`)
  t.match(err.stack, /^\s+at /, 'the stack frames stay, without the message line')
  t.notMatch(lines.join('\n'), 'Zhang San', 'the request text is in no log line')
  t.notMatch(lines.join('\n'), '13800138000')
})

t.test('a database error wrapped as the cause of another error is cut down the same way', async (t) => {
  const { runtime, logger, lines } = await open(t)
  const cause = await nulInJson(runtime.pool).then(
    () => t.fail('the query should fail'),
    (error: unknown) => error,
  )
  logger.warn({ err: new StoreUnavailableError('append failed', { cause }) }, 'unavailable')
  const line = JSON.parse(lines.at(-1)!) as { err: { name: string; message: string; cause: Record<string, unknown> } }
  t.equal(line.err.name, 'StoreUnavailableError', 'the wrapping error keeps its name')
  t.equal(line.err.message, 'append failed', 'its own message is kept, without the cause merged in')
  t.equal(line.err.cause.code, '22P05')
  t.notOk('where' in line.err.cause)
  t.notMatch(lines.at(-1)!, 'Zhang San')
})

t.test('a name anywhere but on an error is still redacted', async (t) => {
  const { logger, lines } = await open(t)
  logger.info({ name: 'Li Si', party: { name: 'Wang Wu' }, err: new TypeError('bad'), data: { error: { name: 'RangeError' } } })
  const line = JSON.parse(lines.at(-1)!) as Record<string, Record<string, unknown>> & { name: string }
  t.equal(line.name, REDACTED)
  t.equal(line.party!.name, REDACTED)
  t.equal(line.err!.name, 'TypeError')
  t.same(line.data!.error, { name: 'RangeError' }, 'an error under `error` keeps its name too')
})
