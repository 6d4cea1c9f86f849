/**
 * The stack a test talks to, as `pnpm start` builds it, on a fresh test database and data directory: one helper
 * for the files that need the whole server (document, fuzzing, authorization matrix).
 *
 * @example
 * const { app, secret } = await testStack(t, 'fuzz', { routesOnly: true, env: { RATE_LIMIT_PER_MINUTE: '0' } })
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { buildApi, buildStack } from '@pc/cli'
import { loadConfig, openRuntime } from '@pc/platform'
import { testDatabase } from '@pc/postgres/testing'
import { loadProjectorConfig, projectorOptions } from '@pc/projector'
import type { QueryServerOptions } from '@pc/query-api'

export interface TestStackOptions {
  /** Environment on top of the database, the data directory, a JWT secret and `LOG_LEVEL=silent`. */
  env?: Record<string, string>
  /** The routes only (`buildApi`), without the projector's workers. Default: the whole stack. */
  routesOnly?: boolean
  query?: QueryServerOptions
}

export async function testStack(t: Test, name: string, options: TestStackOptions = {}) {
  const { url } = await testDatabase(t)
  const dataDir = await mkdtemp(join(tmpdir(), `pc-${name}-`))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const secret = `${name}-test-secret-`.padEnd(48, 'x')
  const env = { DATABASE_URL: url, DATA_DIR: dataDir, LOG_LEVEL: 'silent', JWT_SECRET: secret, ...options.env }
  const config = loadConfig(env)
  const runtime = await openRuntime(config)
  t.teardown(() => runtime.close())
  const app = options.routesOnly
    ? await buildApi(config, runtime, options.query)
    : await buildStack(config, runtime, {
        ...(options.query && { query: options.query }),
        projector: await projectorOptions(config, runtime, loadProjectorConfig({ PROJECTOR_LEASE_POLL_MS: '50' })),
      })
  t.teardown(() => app.close())
  await app.ready()
  return { app, runtime, config, env, secret, url }
}
