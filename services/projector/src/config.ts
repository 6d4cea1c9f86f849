import { ConfigError } from '@pc/platform'
import { DEFAULT_LEDGER_ORIGIN, isLedgerOrigin } from '@pc/read-models'
import { z } from 'zod'

/**
 * The projector's own settings, read once at start (the shared ones — database, data directory, log level — are
 * `@pc/platform`'s `Config`). Pass an explicit record in tests.
 */
export interface ProjectorConfig {
  /** `PROJECTOR_BATCH_SIZE`: most events per read-model transaction. */
  readonly batchSize: number
  /** `PROJECTOR_LEASE_POLL_MS`: how often a standby instance tries to take a projection over. */
  readonly leasePollMs: number
  /** `LEDGER_SIGNING_KEY`: Ed25519 PKCS#8 PEM; unset means a key generated once into `DATA_DIR`. */
  readonly ledgerSigningKey: string | undefined
  /** `LEDGER_ORIGIN`: the log identity every signed head names (its signature covers it). */
  readonly ledgerOrigin: string
  /** `LEDGER_HEAD_EVERY`: leaves between count-triggered signed tree heads. */
  readonly ledgerHeadEvery: number
  /** `LEDGER_HEAD_SECONDS`: the longest a grown tree goes without a signed head. */
  readonly ledgerHeadSeconds: number
  /** `SLA_CHECK_SECONDS`: how often the SLA worker looks for missed deadlines. */
  readonly slaCheckSeconds: number
  /** `IDEMPOTENCY_TTL_HOURS`: how long the command API's `Idempotency-Key`s are kept before the purge deletes them. */
  readonly idempotencyTtlHours: number
}

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v)
const int = (min: number, max: number, fallback: number) =>
  z.preprocess(
    blank,
    z
      .string()
      .regex(/^\d+$/, `must be an integer ${min}-${max}`)
      .optional()
      .transform((v) => (v === undefined ? fallback : Number(v)))
      .refine((n) => n >= min && n <= max, `must be an integer ${min}-${max}`),
  )

const Env = z.object({
  PROJECTOR_BATCH_SIZE: int(1, 10_000, 500),
  PROJECTOR_LEASE_POLL_MS: int(10, 60_000, 1000),
  LEDGER_SIGNING_KEY: z.preprocess(blank, z.string().optional()),
  LEDGER_ORIGIN: z.preprocess(
    blank,
    z
      .string()
      .refine(isLedgerOrigin, 'must be 1-255 printable ASCII characters without a space at either end')
      .optional()
      .transform((v) => v ?? DEFAULT_LEDGER_ORIGIN),
  ),
  LEDGER_HEAD_EVERY: int(1, 1_000_000, 1000),
  LEDGER_HEAD_SECONDS: int(1, 86_400, 60),
  SLA_CHECK_SECONDS: int(1, 3600, 30),
  IDEMPOTENCY_TTL_HOURS: int(1, 24 * 365, 24),
})

export function loadProjectorConfig(env: Readonly<Record<string, string | undefined>> = process.env): ProjectorConfig {
  const known = Object.fromEntries(Object.keys(Env.shape).map((k) => [k, env[k]]))
  const parsed = Env.safeParse(known)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? 'environment')
      // The signing key is a secret: never echo it.
      const got = variable === 'LEDGER_SIGNING_KEY' ? 'a value' : JSON.stringify(env[variable])
      return `${variable} ${issue.message} (got ${got})`
    })
    throw new ConfigError(`configuration error: ${problems.join('; ')}`)
  }
  const e = parsed.data
  return Object.freeze({
    batchSize: e.PROJECTOR_BATCH_SIZE,
    leasePollMs: e.PROJECTOR_LEASE_POLL_MS,
    ledgerSigningKey: e.LEDGER_SIGNING_KEY,
    ledgerOrigin: e.LEDGER_ORIGIN,
    ledgerHeadEvery: e.LEDGER_HEAD_EVERY,
    ledgerHeadSeconds: e.LEDGER_HEAD_SECONDS,
    slaCheckSeconds: e.SLA_CHECK_SECONDS,
    idempotencyTtlHours: e.IDEMPOTENCY_TTL_HOURS,
  })
}
