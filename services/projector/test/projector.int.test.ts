import t from 'tap'
import { generateKeyPairSync, randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig, openRuntime, createLogger } from '@pc/platform'
import { testDatabase } from '@pc/postgres/testing'
import {
  caseProjections,
  waitForProjections,
  readCheckpoint,
  createReadModelDatabase,
  rotateSigningKey,
  signerFromPem,
} from '@pc/read-models'
import { contextProjections, contexts, OBJECTION_CASE_REACTOR } from '@pc/contexts'
import { buildServer, loadProjectorConfig, startProjector } from '../src/index.js'

async function runtimeFor(t: Parameters<typeof testDatabase>[0]) {
  const { url } = await testDatabase(t)
  const dataDir = await mkdtemp(join(tmpdir(), 'pc-projector-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const config = loadConfig({ DATABASE_URL: url, DATA_DIR: dataDir, LOG_LEVEL: 'silent', JWT_SECRET: 'x'.repeat(40) })
  const runtime = await openRuntime(config, { logger: createLogger(config) })
  t.teardown(() => runtime.close())
  return { config, runtime, url }
}

function sealedLessEvent(type: string, data: Record<string, string>) {
  return {
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    data,
    metadata: { actor: { id: 'x', roles: [] }, occurredAt: new Date().toISOString(), correlationId: randomUUID(), causationId: null, prevHash: '0'.repeat(64), hash: '0'.repeat(64) },
  }
}

t.test('startProjector migrates, projects in the background and stops cleanly', async (t) => {
  const { runtime, url } = await runtimeFor(t)
  const projector = await startProjector(runtime, { projections: caseProjections, leasePollMs: 50, sla: false })
  t.teardown(() => projector.stop())
  const { position } = await runtime.eventStore.append('other-1', [sealedLessEvent('Noise', {})])
  const db = createReadModelDatabase({ connectionString: url, max: 2 })
  t.teardown(() => db.destroy())
  t.ok(await waitForProjections(db, runtime.eventStore, caseProjections.map((p) => p.name), position, { timeoutMs: 10_000 }), 'every case projection moved past the event')
  t.same(projector.status().map((s) => s.state), ['running', 'running', 'running', 'running'])
  await projector.stop()
  t.same(projector.status().map((s) => s.state), ['stopped', 'stopped', 'stopped', 'stopped'])
  t.equal((await readCheckpoint(db, 'case-list'))?.position, position.toString())
})

t.test('the standalone server runs every read model, the ledger included, and answers health checks', async (t) => {
  const { config, runtime, url } = await runtimeFor(t)
  const app = await buildServer(config, runtime, loadProjectorConfig({ PROJECTOR_LEASE_POLL_MS: '50', LEDGER_HEAD_SECONDS: '1' }))
  t.teardown(() => app.close())
  const ready = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(ready.statusCode, 200)
  t.same(
    app.projector.status().map((s) => s.name).sort(),
    [...contextProjections(contexts).map((p) => p.name), OBJECTION_CASE_REACTOR].sort(),
    'every read model, the ledger included, and the objection → case reactor',
  )
  t.ok(app.projector.status().some((s) => s.name === 'ledger'))
  t.ok(app.projector.sla, 'the SLA worker runs too')
  const { position } = await runtime.eventStore.append('other-1', [sealedLessEvent('Noise', {})])
  const db = createReadModelDatabase({ connectionString: url, max: 2 })
  t.teardown(() => db.destroy())
  t.ok(await waitForProjections(db, runtime.eventStore, ['ledger', 'case-list'], position, { timeoutMs: 10_000 }))
  await app.close()
  t.ok(app.projector.status().every((s) => s.state === 'stopped'), 'closing the server stopped the projector')
})

t.test('projector configuration fails fast, naming the variable', async (t) => {
  t.throws(() => loadProjectorConfig({ PROJECTOR_BATCH_SIZE: '0' }), /PROJECTOR_BATCH_SIZE must be an integer 1-10000/)
  t.throws(() => loadProjectorConfig({ LEDGER_HEAD_SECONDS: 'soon' }), /LEDGER_HEAD_SECONDS/)
  t.throws(() => loadProjectorConfig({ SLA_CHECK_SECONDS: '0' }), /SLA_CHECK_SECONDS must be an integer 1-3600/)
  t.match(loadProjectorConfig({}), { batchSize: 500, leasePollMs: 1000, ledgerHeadEvery: 1000, ledgerHeadSeconds: 60, slaCheckSeconds: 30 })
  t.equal(loadProjectorConfig({}).ledgerOrigin, 'property-cases', 'LEDGER_ORIGIN has a default')
  t.equal(loadProjectorConfig({ LEDGER_ORIGIN: 'cases.estate-a.example' }).ledgerOrigin, 'cases.estate-a.example')
  t.throws(() => loadProjectorConfig({ LEDGER_ORIGIN: 'two\nlines' }), /LEDGER_ORIGIN must be 1-255 printable ASCII characters/)
})

const newSigner = () => signerFromPem(generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString())

t.test('a projector holding a rotated-away signing key refuses to start, naming the key and what to do', async (t) => {
  const { runtime, url } = await runtimeFor(t)
  const old = newSigner()
  const first = await startProjector(runtime, { projections: caseProjections, ledger: { signer: old }, sla: false })
  await first.stop()
  const db = createReadModelDatabase({ connectionString: url, max: 2 })
  t.teardown(() => db.destroy())
  const next = newSigner()
  const { at } = await rotateSigningKey(db, next)
  await t.rejects(startProjector(runtime, { projections: caseProjections, ledger: { signer: old }, sla: false }), {
    name: 'ConfigError',
    message: `configuration error: the ledger signing key ${old.keyId} was retired at ${at} by cli rotate-signing-key (the current key is ${next.keyId}): configure the current key (LEDGER_SIGNING_KEY, or the key file in DATA_DIR)`,
  })
  const stranger = newSigner()
  await t.rejects(startProjector(runtime, { projections: caseProjections, ledger: { signer: stranger }, sla: false }), {
    name: 'ConfigError',
    message: new RegExp(`the ledger signing key ${stranger.keyId} is not the ledger's current key ${next.keyId}`),
  })
  const current = await startProjector(runtime, { projections: caseProjections, ledger: { signer: next }, sla: false })
  await current.stop()
  t.pass('the current key starts')
})
