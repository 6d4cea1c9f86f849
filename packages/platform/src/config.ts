import { resolve } from 'node:path'
// Modules one by one rather than the packages' indexes, which bring every schema and kysely: `cli token` loads this.
import { DEFAULT_DISCLOSURE_SCHEDULE, DisclosureSchedule } from '@pc/contracts/disclosures/schedule'
import { decodeMasterKey } from '@pc/personal-data/master-key'
import { z } from 'zod'
import { ConfigError } from './errors.js'

/**
 * The process configuration, read once from the environment at start (kysely `example/src/config.ts` style).
 * Every variable is documented in the README's configuration table; add new ones here and there together.
 */
export interface Config {
  /** `PORT`: the one HTTP port every API is served on. */
  readonly port: number
  /** `HOST`: the interface to listen on. Loopback by default so a fresh clone is not reachable from the network. */
  readonly host: string
  /** `DATA_DIR`, absolute: the embedded PostgreSQL cluster and the generated JWT secret live here. */
  readonly dataDir: string
  /** `DATABASE_URL`: an external PostgreSQL; unset means the embedded one under `dataDir`. */
  readonly databaseUrl: string | undefined
  /** `EVENTSTORE_URL`: events go to EventStoreDB instead of PostgreSQL. */
  readonly eventStoreUrl: string | undefined
  /** `JWT_SECRET`: the HS256 key; unset means a secret generated once into `dataDir` (see `ensureJwtSecret`). */
  readonly jwtSecret: string | undefined
  /**
   * `JWT_SECRET_PREVIOUS`: the secret before the last rotation. Tokens signed with it are still accepted (so a rotation
   * logs nobody out until their tokens expire); new tokens are signed with `jwtSecret` only.
   */
  readonly jwtSecretPrevious: string | undefined
  readonly logLevel: LogLevel
  /** `BODY_LIMIT_BYTES`: larger request bodies are refused with 413. */
  readonly bodyLimitBytes: number
  /**
   * `RATE_LIMIT_PER_MINUTE`: requests per minute per authenticated user (the token's `sub`), and per IP address for
   * requests without a verified token; more answer 429 `RATE_LIMITED`. 0 turns the limit off.
   */
  readonly rateLimitPerMinute: number
  /**
   * `RATE_LIMIT_AUTH_FAILURES_PER_MINUTE`: failed authentications (401) per minute per IP address; past it, requests
   * from that address that need a token answer 429 before their token is checked. 0 turns the limit off.
   */
  readonly rateLimitAuthFailuresPerMinute: number
  /** `DISCLOSURE_ADVANCE_NOTICE_DAYS`: a major matter is published at least this many days before it takes effect. */
  readonly disclosureAdvanceNoticeDays: number
  /** `DISCLOSURE_SCHEDULE`: the estate's disclosure schedule, a JSON array (see `DisclosureScheduleEntry`). */
  readonly disclosureSchedule: DisclosureSchedule
  /**
   * `PII_MASTER_KEY`: the 32-byte key (base64) that wraps every personal-data key; unset means a key generated once
   * into `dataDir` (see `ensureMasterKey` in `@pc/personal-data`).
   */
  readonly piiMasterKey: Buffer | undefined
  /**
   * `CORS_ORIGINS`: the browser origins (`https://portal.example.org`) allowed to call the API cross-origin; empty
   * means CORS is off and no browser page of another origin can read an answer.
   */
  readonly corsOrigins: readonly string[]
  /** `REQUEST_TIMEOUT_MS`: a request not answered by then gets 503 `UNAVAILABLE` (Fastify's `handlerTimeout`). */
  readonly requestTimeoutMs: number
  /** How long the database may take before the request gives up on it (see `DatabaseTimeouts`). */
  readonly database: DatabaseTimeouts
}

/**
 * Bounds on every connection of the runtime's pool, so a stalled or overloaded PostgreSQL turns into a 503 within
 * the request timeout instead of requests that hang (and commit long after their client gave up). 0: no limit.
 */
export interface DatabaseTimeouts {
  /** `DATABASE_STATEMENT_TIMEOUT_MS`: PostgreSQL cancels a statement running longer (`statement_timeout`). */
  readonly statementTimeoutMs: number
  /** `DATABASE_QUERY_TIMEOUT_MS`: the client stops waiting for an answer (pg `query_timeout`); for a server that does not answer at all. */
  readonly queryTimeoutMs: number
  /** `DATABASE_CONNECT_TIMEOUT_MS`: a new connection must be up by then (pg `connectionTimeoutMillis`). */
  readonly connectTimeoutMs: number
  /** `DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS`: PostgreSQL ends a session idle inside a transaction this long. */
  readonly idleInTransactionTimeoutMs: number
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** Variables whose values must never be echoed back, even in an error message. */
const SECRET: ReadonlySet<string> = new Set(['JWT_SECRET', 'JWT_SECRET_PREVIOUS', 'DATABASE_URL', 'EVENTSTORE_URL', 'PII_MASTER_KEY'])
const URL_VARIABLES: ReadonlySet<string> = new Set(['DATABASE_URL', 'EVENTSTORE_URL'])

// `FOO=` in a shell or a compose file means "not set", not "set to the empty string".
const blankToUndefined = (value: unknown): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value

const optionalString = (schema: z.ZodString) => z.preprocess(blankToUndefined, schema.optional())

function integer(min: number, max: number, fallback: number) {
  const message = `must be an integer ${min}-${max}`
  return optionalString(z.string().regex(/^\d+$/, message))
    .transform((value) => (value === undefined ? fallback : Number(value)))
    .refine((n) => Number.isSafeInteger(n) && n >= min && n <= max, message)
}

function isPostgresUrl(value: string): boolean {
  try {
    const url = new URL(value)
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') return false
    // `postgres:///db?host=/run/postgresql` (a Unix socket) has no hostname but names its host in the query.
    return url.hostname !== '' || url.searchParams.has('host')
  } catch {
    return false
  }
}

/** `https://a.example, http://localhost:5173` → the origins, each exactly as a browser sends it in `Origin`. */
const originList = optionalString(z.string()).transform((raw, ctx): string[] => {
  if (raw === undefined) return []
  const origins = raw.split(',').map((item) => item.trim()).filter((item) => item !== '')
  for (const origin of origins) {
    let parsed: URL | undefined
    try {
      parsed = new URL(origin)
    } catch {
      parsed = undefined
    }
    const web = parsed !== undefined && (parsed.protocol === 'https:' || parsed.protocol === 'http:')
    if (!web || parsed!.origin !== origin) {
      ctx.addIssue({
        code: 'custom',
        message:
          'must be a comma-separated list of origins such as https://portal.example.org ' +
          '(scheme, host and optional port; no path, no trailing slash, no *)',
      })
      return z.NEVER
    }
  }
  return [...new Set(origins)]
})

/** A JSON document checked against `schema`; a failure names the member (`0.every: …`). */
function json<T>(schema: z.ZodType<T>, fallback: T) {
  return optionalString(z.string()).transform((raw, ctx): T => {
    if (raw === undefined) return fallback
    let value: unknown
    try {
      value = JSON.parse(raw)
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON' })
      return z.NEVER
    }
    const parsed = schema.safeParse(value)
    if (parsed.success) return parsed.data
    for (const issue of parsed.error.issues) {
      ctx.addIssue({ code: 'custom', message: `${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}` })
    }
    return z.NEVER
  })
}

const EnvSchema = z.object({
  PORT: integer(1, 65535, 3000),
  HOST: optionalString(z.string().regex(/^\S+$/, 'must be a host name or IP address without spaces')).default(
    '127.0.0.1',
  ),
  DATA_DIR: optionalString(z.string()).default('./.data'),
  DATABASE_URL: optionalString(
    z.string().refine(isPostgresUrl, 'must be a postgres:// or postgresql:// URL with a host'),
  ),
  EVENTSTORE_URL: optionalString(
    z.string().regex(/^esdb(\+discover)?:\/\/[^\s/?#]+/, 'must be an esdb:// or esdb+discover:// connection string'),
  ),
  JWT_SECRET: optionalString(
    z.string().min(32, 'must be at least 32 characters (for example: openssl rand -base64 48)'),
  ),
  JWT_SECRET_PREVIOUS: optionalString(z.string().min(32, 'must be at least 32 characters, like JWT_SECRET')),
  LOG_LEVEL: z
    .preprocess(
      (value) => (typeof value === 'string' ? blankToUndefined(value.toLowerCase()) : value),
      z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).optional(),
    )
    .default('info'),
  BODY_LIMIT_BYTES: integer(1024, 100 * 1024 * 1024, 64 * 1024),
  // Generous on purpose: a person clicking through the API never comes near 100 requests a second; a script that
  // floods is held to it, and others' requests are counted apart.
  RATE_LIMIT_PER_MINUTE: integer(0, 10_000_000, 6_000),
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: integer(0, 10_000_000, 30),
  DISCLOSURE_ADVANCE_NOTICE_DAYS: integer(0, 365, 7),
  DISCLOSURE_SCHEDULE: json(DisclosureSchedule, DEFAULT_DISCLOSURE_SCHEDULE),
  REQUEST_TIMEOUT_MS: integer(1000, 600_000, 10_000),
  DATABASE_STATEMENT_TIMEOUT_MS: integer(0, 3_600_000, 5_000),
  DATABASE_QUERY_TIMEOUT_MS: integer(0, 3_600_000, 6_000),
  DATABASE_CONNECT_TIMEOUT_MS: integer(100, 600_000, 3_000),
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: integer(0, 3_600_000, 5_000),
  PII_MASTER_KEY: optionalString(z.string()).transform((raw, ctx) => {
    if (raw === undefined) return undefined
    const key = decodeMasterKey(raw)
    if (key === undefined) {
      ctx.addIssue({ code: 'custom', message: 'must be 32 bytes in base64 (for example: openssl rand -base64 32)' })
      return z.NEVER
    }
    return key
  }),
  CORS_ORIGINS: originList,
})

/** What a bad value looked like, without leaking a secret into a terminal or a log. */
function describeValue(variable: string, raw: string | undefined): string {
  if (raw === undefined) return 'unset'
  if (URL_VARIABLES.has(variable)) {
    try {
      const url = new URL(raw)
      if (url.password) url.password = '***'
      return `"${url.toString()}"`
    } catch {
      return 'a value that is not a URL'
    }
  }
  if (SECRET.has(variable)) return `${raw.length} characters`
  const shown = raw.length > 60 ? `${raw.slice(0, 57)}...` : raw
  return JSON.stringify(shown)
}

/**
 * Parses the environment into a frozen, typed configuration, or throws a `ConfigError` whose message is ONE
 * line naming every bad variable. Pass an explicit record in tests instead of touching `process.env`.
 *
 * @example
 * const config = loadConfig({ PORT: '8080', DATA_DIR: tmp })
 * // loadConfig({ PORT: 'abc' }) throws:
 * // configuration error: PORT must be an integer 1-65535 (got "abc")
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const parsed = EnvSchema.safeParse(pick(env))
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? 'environment')
      return `${variable} ${issue.message} (got ${describeValue(variable, env[variable])})`
    })
    throw new ConfigError(`configuration error: ${problems.join('; ')}`)
  }
  const e = parsed.data
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    dataDir: resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    eventStoreUrl: e.EVENTSTORE_URL,
    jwtSecret: e.JWT_SECRET,
    jwtSecretPrevious: e.JWT_SECRET_PREVIOUS,
    logLevel: e.LOG_LEVEL,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    rateLimitAuthFailuresPerMinute: e.RATE_LIMIT_AUTH_FAILURES_PER_MINUTE,
    disclosureAdvanceNoticeDays: e.DISCLOSURE_ADVANCE_NOTICE_DAYS,
    disclosureSchedule: e.DISCLOSURE_SCHEDULE,
    piiMasterKey: e.PII_MASTER_KEY,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    database: Object.freeze({
      statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
      queryTimeoutMs: e.DATABASE_QUERY_TIMEOUT_MS,
      connectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS,
      idleInTransactionTimeoutMs: e.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    }),
    corsOrigins: Object.freeze(e.CORS_ORIGINS),
  })
}

// Only the variables we know, so an unrelated oddity in the environment can never fail start-up.
function pick(env: Readonly<Record<string, string | undefined>>): Record<string, string | undefined> {
  const known: Record<string, string | undefined> = {}
  for (const key of Object.keys(EnvSchema.shape)) known[key] = env[key]
  return known
}
