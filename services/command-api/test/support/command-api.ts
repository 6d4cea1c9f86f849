import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig, openRuntime, signToken, type HttpServer, type Role, type Runtime } from '@pc/platform'
import { testDatabase } from '@pc/postgres/testing'
import type { Test } from 'tap'
import { buildServer } from '../../src/server.js'

/** What the command API's HTTP tests share: a server on a real database, tokens, and a `post` shorthand. */

export const SECRET = 'test-secret-that-is-long-enough-for-hs256'

/** Who calls, as token claims. */
export const callers = {
  resident: { sub: 'resident-1', roles: ['resident'], units: ['3-1-201'] },
  otherResident: { sub: 'resident-2', roles: ['resident'], units: ['3-1-202'] },
  staff: { sub: 'staff-1', roles: ['staff'] },
  manager: { sub: 'manager-1', roles: ['manager'] },
  /** Staff and manager: may issue every human command. */
  boss: { sub: 'boss-1', roles: ['staff', 'manager'] },
  technician: { sub: 'tech-1', roles: ['technician'] },
  otherTechnician: { sub: 'tech-2', roles: ['technician'] },
  auditor: { sub: 'auditor-1', roles: ['auditor'] },
} satisfies Record<string, { sub: string; roles: Role[]; units?: string[] }>
export type Caller = keyof typeof callers

const tokens = new Map<Caller, Promise<string>>()
export function tokenOf(caller: Caller): Promise<string> {
  let token = tokens.get(caller)
  if (!token) tokens.set(caller, (token = signToken(SECRET, callers[caller])))
  return token
}

/** Starts the command API on `databaseUrl` (a second call on the same URL is a restarted server). */
export async function startServer(
  t: Test,
  databaseUrl: string,
): Promise<{ app: HttpServer; runtime: Runtime; close: () => Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'pc-command-api-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const config = loadConfig({ DATABASE_URL: databaseUrl, DATA_DIR: dataDir, JWT_SECRET: SECRET, LOG_LEVEL: 'silent' })
  const runtime = await openRuntime(config, { poolMax: 20 })
  t.teardown(() => runtime.close())
  const app = await buildServer(config, runtime)
  // The server closes before the runtime, as in production. A test may close early (a restart); teardown again.
  let closing: Promise<void> | undefined
  const close = () => (closing ??= app.close().then(() => runtime.close()))
  t.teardown(close)
  await app.ready()
  return { app, runtime, close }
}

export async function setup(t: Test) {
  const db = await testDatabase(t)
  return { ...(await startServer(t, db.url)), databaseUrl: db.url }
}

export interface PostOptions {
  as?: Caller
  key?: string
  ifMatch?: string
  correlationId?: string
}

/** `POST /v1<path>` with a JSON body as `as` (default: boss). */
export async function post(app: HttpServer, path: string, body: unknown, options: PostOptions = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${await tokenOf(options.as ?? 'boss')}` }
  if (options.key !== undefined) headers['idempotency-key'] = options.key
  if (options.ifMatch !== undefined) headers['if-match'] = options.ifMatch
  if (options.correlationId !== undefined) headers['x-correlation-id'] = options.correlationId
  return app.inject({ method: 'POST', url: `/v1${path}`, headers, payload: body as object })
}

/** A valid report body; staff report on resident-1's behalf. */
export function reportBody(overrides: Record<string, unknown> = {}) {
  return {
    kind: 'repair',
    category: 'lift',
    title: 'Lift 2 stops between floors',
    description: 'Since this morning lift 2 stops between the 5th and 6th floor.',
    channel: 'app',
    location: { building: '3', unit: '1' },
    ...overrides,
  }
}

/** Reports a case as boss on resident-1's behalf and answers its id. */
export async function reportCase(app: HttpServer, overrides: Record<string, unknown> = {}): Promise<string> {
  const res = await post(app, '/cases', reportBody({ reporterId: callers.resident.sub, ...overrides }))
  if (res.statusCode !== 201) throw new Error(`report failed: ${res.statusCode} ${res.body}`)
  return (res.json() as { id: string }).id
}
