import { isAbsolute, join } from 'node:path'
import { DEFAULT_DISCLOSURE_SCHEDULE } from '@pc/contracts'
import t from 'tap'
import { ConfigError, loadConfig } from '../src/index.js'

/** The one line a bad configuration produces. */
function errorLine(env: Record<string, string>): string {
  try {
    loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error.message
    throw error
  }
  throw new Error('expected a ConfigError')
}

t.test('defaults: an empty environment is a valid embedded configuration', async (t) => {
  const config = loadConfig({})
  t.equal(config.port, 3000)
  t.equal(config.host, '127.0.0.1')
  t.ok(isAbsolute(config.dataDir), 'DATA_DIR is resolved to an absolute path')
  t.equal(config.dataDir, join(process.cwd(), '.data'))
  t.equal(config.databaseUrl, undefined)
  t.equal(config.eventStoreUrl, undefined)
  t.equal(config.jwtSecret, undefined)
  t.equal(config.logLevel, 'info')
  t.equal(config.bodyLimitBytes, 65536)
  t.equal(config.rateLimitPerMinute, 6000)
  t.equal(config.rateLimitAuthFailuresPerMinute, 30)
  t.ok(Object.isFrozen(config), 'the configuration cannot be changed after start')
})

t.test('values are parsed and typed', async (t) => {
  const config = loadConfig({
    PORT: '8080',
    HOST: '0.0.0.0',
    DATA_DIR: '/var/lib/pc',
    DATABASE_URL: 'postgresql://app:s3cret@db.internal:5432/cases',
    EVENTSTORE_URL: 'esdb+discover://es1:2113,es2:2113?tls=false',
    JWT_SECRET: 'k'.repeat(40),
    LOG_LEVEL: 'DEBUG',
    BODY_LIMIT_BYTES: '2048',
    RATE_LIMIT_PER_MINUTE: '0',
    RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '5',
  })
  t.same(config, {
    port: 8080,
    host: '0.0.0.0',
    dataDir: '/var/lib/pc',
    databaseUrl: 'postgresql://app:s3cret@db.internal:5432/cases',
    eventStoreUrl: 'esdb+discover://es1:2113,es2:2113?tls=false',
    jwtSecret: 'k'.repeat(40),
    logLevel: 'debug',
    bodyLimitBytes: 2048,
    rateLimitPerMinute: 0,
    rateLimitAuthFailuresPerMinute: 5,
    disclosureAdvanceNoticeDays: 7,
    disclosureSchedule: DEFAULT_DISCLOSURE_SCHEDULE,
    requestTimeoutMs: 10_000,
    database: { statementTimeoutMs: 5000, queryTimeoutMs: 6000, connectTimeoutMs: 3000, idleInTransactionTimeoutMs: 5000 },
    corsOrigins: [],
  })
})

t.test('a blank variable counts as unset', async (t) => {
  const config = loadConfig({ PORT: '', DATABASE_URL: '  ', JWT_SECRET: '' })
  t.equal(config.port, 3000)
  t.equal(config.databaseUrl, undefined)
  t.equal(config.jwtSecret, undefined)
})

t.test('a PORT that is not a number stops start-up with one line naming it', async (t) => {
  const line = errorLine({ PORT: 'abc' })
  t.equal(line, 'configuration error: PORT must be an integer 1-65535 (got "abc")')
  t.notMatch(line, /\n/, 'one line')
})

t.test('a PORT out of range is refused', async (t) => {
  t.equal(errorLine({ PORT: '70000' }), 'configuration error: PORT must be an integer 1-65535 (got "70000")')
  t.equal(errorLine({ PORT: '0' }), 'configuration error: PORT must be an integer 1-65535 (got "0")')
  t.equal(errorLine({ PORT: '80.5' }), 'configuration error: PORT must be an integer 1-65535 (got "80.5")')
})

t.test('a malformed DATABASE_URL is refused without echoing its password', async (t) => {
  const notUrl = errorLine({ DATABASE_URL: 'localhost:5432/cases' })
  t.match(notUrl, /^configuration error: DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/)
  t.notMatch(notUrl, /\n/)

  const mysql = errorLine({ DATABASE_URL: 'mysql://root:hunter2@db/cases' })
  t.match(mysql, /^configuration error: DATABASE_URL must be a postgres/)
  t.notMatch(mysql, /hunter2/, 'the password is masked')
  t.match(mysql, /mysql:\/\/root:\*\*\*@db\/cases/)

  const badPort = errorLine({ DATABASE_URL: 'postgres://u:hunter2@db:port/cases' })
  t.match(badPort, /DATABASE_URL .*\(got a value that is not a URL\)$/)
  t.notMatch(badPort, /hunter2/)
})

t.test('a Unix-socket DATABASE_URL is accepted', async (t) => {
  t.equal(loadConfig({ DATABASE_URL: 'postgres:///cases?host=/run/postgresql' }).databaseUrl, 'postgres:///cases?host=/run/postgresql')
})

t.test('EVENTSTORE_URL, JWT_SECRET, LOG_LEVEL and BODY_LIMIT_BYTES are checked', async (t) => {
  t.match(errorLine({ EVENTSTORE_URL: 'http://es:2113' }), /^configuration error: EVENTSTORE_URL must be an esdb:\/\//)
  const secret = errorLine({ JWT_SECRET: 'short-secret' })
  t.match(secret, /^configuration error: JWT_SECRET must be at least 32 characters/)
  t.match(secret, /\(got 12 characters\)$/)
  t.notMatch(secret, /short-secret/, 'a secret is never echoed')
  t.match(errorLine({ LOG_LEVEL: 'loud' }), /^configuration error: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent \(got "loud"\)$/)
  t.match(errorLine({ BODY_LIMIT_BYTES: '10' }), /^configuration error: BODY_LIMIT_BYTES must be an integer 1024-104857600/)
})

t.test('RATE_LIMIT_PER_MINUTE and RATE_LIMIT_AUTH_FAILURES_PER_MINUTE are counts, 0 turning them off', async (t) => {
  t.equal(errorLine({ RATE_LIMIT_PER_MINUTE: 'lots' }), 'configuration error: RATE_LIMIT_PER_MINUTE must be an integer 0-10000000 (got "lots")')
  t.equal(
    errorLine({ RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '-1' }),
    'configuration error: RATE_LIMIT_AUTH_FAILURES_PER_MINUTE must be an integer 0-10000000 (got "-1")',
  )
  const off = loadConfig({ RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0' })
  t.same([off.rateLimitPerMinute, off.rateLimitAuthFailuresPerMinute], [0, 0])
})

t.test('several bad variables are named together on one line', async (t) => {
  const line = errorLine({ PORT: 'abc', DATABASE_URL: 'nope' })
  t.match(line, /^configuration error: PORT must be .*; DATABASE_URL must be /)
  t.notMatch(line, /\n/)
})

t.test('unrelated variables never fail start-up', async (t) => {
  t.doesNotThrow(() => loadConfig({ SOMETHING_ELSE: '\u0000weird', NODE_OPTIONS: '--foo' }))
})

t.test('request and database timeouts: defaults of a few seconds, parsed, checked by name', async (t) => {
  const defaults = loadConfig({})
  t.equal(defaults.requestTimeoutMs, 10_000, 'longer than the 5 s a waitFor query may wait')
  t.same(defaults.database, { statementTimeoutMs: 5000, queryTimeoutMs: 6000, connectTimeoutMs: 3000, idleInTransactionTimeoutMs: 5000 })
  t.ok(Object.isFrozen(defaults.database))
  const set = loadConfig({
    REQUEST_TIMEOUT_MS: '4000',
    DATABASE_STATEMENT_TIMEOUT_MS: '0',
    DATABASE_QUERY_TIMEOUT_MS: '2500',
    DATABASE_CONNECT_TIMEOUT_MS: '800',
    DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '9000',
  })
  t.equal(set.requestTimeoutMs, 4000)
  t.same(set.database, { statementTimeoutMs: 0, queryTimeoutMs: 2500, connectTimeoutMs: 800, idleInTransactionTimeoutMs: 9000 })
  t.match(errorLine({ REQUEST_TIMEOUT_MS: '500' }), /^configuration error: REQUEST_TIMEOUT_MS must be an integer 1000-600000 \(got "500"\)$/)
  t.match(errorLine({ DATABASE_STATEMENT_TIMEOUT_MS: '5s' }), /DATABASE_STATEMENT_TIMEOUT_MS must be an integer/)
})

t.test('CORS_ORIGINS: unset is CORS off; a comma-separated list of exact origins', async (t) => {
  t.same(loadConfig({}).corsOrigins, [], 'off by default')
  t.same(loadConfig({ CORS_ORIGINS: '  ' }).corsOrigins, [], 'blank is unset')
  const config = loadConfig({ CORS_ORIGINS: 'https://portal.example.org, http://localhost:5173,https://portal.example.org' })
  t.same(config.corsOrigins, ['https://portal.example.org', 'http://localhost:5173'], 'trimmed, duplicates dropped')
  t.ok(Object.isFrozen(config.corsOrigins))
  for (const bad of ['*', 'portal.example.org', 'https://portal.example.org/', 'https://portal.example.org/app', 'ftp://files.example.org']) {
    t.match(errorLine({ CORS_ORIGINS: bad }), /^configuration error: CORS_ORIGINS must be a comma-separated list of origins/, bad)
  }
})
