import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildStack, runCli } from '@pc/cli'
import { loadConfig, openRuntime } from '@pc/platform'
import { testDatabase } from '@pc/postgres/testing'
import { loadProjectorConfig, projectorOptions } from '@pc/projector'
import { contextProjections, contexts } from '@pc/contexts'
import { closedLoopTokens, httpClient, manualClock, readEverything, runClosedLoop, type Answers } from './support/closed-loop.js'

// The whole stack as `pnpm start` builds it, on PostgreSQL, listening on a real socket; only the clock is the test's.
const { url } = await testDatabase(t)
const dataDir = await mkdtemp(join(tmpdir(), 'pc-closed-loop-'))
t.teardown(() => rm(dataDir, { recursive: true, force: true }))
const env = { DATABASE_URL: url, DATA_DIR: dataDir, LOG_LEVEL: 'silent', JWT_SECRET: 'closed-loop-secret-'.padEnd(48, 'x') }
const config = loadConfig(env)
const runtime = await openRuntime(config)
t.teardown(() => runtime.close())
const clock = manualClock()
const projector = await projectorOptions(config, runtime, loadProjectorConfig({ PROJECTOR_LEASE_POLL_MS: '50' }))
const app = await buildStack(config, runtime, {
  query: { now: clock.now },
  projector: { ...projector, sla: { now: clock.now, intervalMs: 100 } },
})
t.teardown(() => app.close())
await app.listen({ port: 0, host: '127.0.0.1' })
const client = httpClient(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`)

t.test('the closed loop over HTTP, then every query shows what happened, before and after cli rebuild --all', async (t) => {
  const loop = await runClosedLoop(t, client, { tokens: await closedLoopTokens(env.JWT_SECRET), clock })
  let live: Answers = {}
  await t.test('every query, from the read models as projected live', async (t) => {
    live = await readEverything(t, client, loop)
  })

  // The operator's rebuild, while the projector keeps running in the server.
  const out: string[] = []
  const err: string[] = []
  const code = await runCli(['rebuild', '--all'], { env, out: (line) => out.push(line), err: (line) => err.push(line) })
  t.equal(code, 0, err.join('\n'))
  t.same(out.map((line) => line.split(':')[0]), contextProjections(contexts).map((p) => `rebuilt ${p.name}`), 'every read model rebuilt')

  let rebuilt: Answers = {}
  await t.test('every query, from the rebuilt read models', async (t) => {
    rebuilt = await readEverything(t, client, loop)
  })
  t.ok(Object.keys(live).length >= 15, `${Object.keys(live).length} queries`)
  t.same(rebuilt, live, 'every answer is the same after the rebuild')
})
