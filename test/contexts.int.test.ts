import { readdir, readFile } from 'node:fs/promises'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildStack } from '@pc/cli'
import { contextOfEventType, contextProjections, contextReactors, contexts, contextWatchers } from '@pc/contexts'
import { CaseEventTypes, DisclosureEventTypes, MediationEventTypes, SubjectEventTypes, UnknownEventTypeError } from '@pc/contracts'
import { createMemoryEventStore } from '@pc/event-store'
import { loadConfig, openRuntime } from '@pc/platform'
import { testDatabase } from '@pc/postgres/testing'
import { TREE_HEAD_SIGNED } from '@pc/read-models'
import t from 'tap'

/**
 * The context list is the only wiring: every command route, query route, projection, reactor, watcher and event
 * type of every context is reachable through `contexts`, and no service names a context in its code.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

t.test('the registered contexts', async (t) => {
  const names = contexts.map((c) => c.name)
  t.comment(`contexts: ${names.join(', ')}`)
  t.same(names, ['cases', 'mediation', 'disclosures', 'subjects', 'ledger'])
  t.equal(new Set(names).size, names.length, 'names are unique')
  for (const context of contexts) {
    t.ok(context.description.length > 20, `${context.name} describes itself`)
    t.ok(context.commands.length === 0 || (context.decider && context.decisionContext), `${context.name}: commands need a decider`)
  }
  const operationIds = contexts.flatMap((c) => c.commands.map((s) => s.operationId))
  t.equal(new Set(operationIds).size, operationIds.length, 'command operation ids are unique over every context')
})

t.test('every stored event type belongs to exactly one context, whose codec reads it', async (t) => {
  const known = [...Object.keys(CaseEventTypes), ...Object.keys(MediationEventTypes), ...Object.keys(DisclosureEventTypes), ...Object.keys(SubjectEventTypes), TREE_HEAD_SIGNED]
  for (const type of known) {
    const owners = contexts.filter((c) => c.eventTypes.includes(type))
    t.equal(owners.length, 1, `${type} has one owner`)
    const owner = contextOfEventType(contexts, type)!
    t.ok(owner.codec, `${type}: ${owner.name}`)
    // Reaching the type's schema (a validation error on empty data) proves the codec knows the type.
    t.throws(() => owner.codec.fromStored({ type, schemaVersion: 1, data: {} }), { name: 'ZodError' }, `${type}: decoded by ${owner.name}`)
  }
  t.same(contexts.flatMap((c) => c.eventTypes).sort(), [...known].sort(), 'and no context claims a type that does not exist')
  t.throws(() => contexts[0]!.codec.fromStored({ type: 'NoSuchEvent', schemaVersion: 1, data: {} }), UnknownEventTypeError)
})

t.test('projections, reactors and watchers come from the list', async (t) => {
  const projections = contextProjections(contexts)
  const names = projections.map((p) => p.name)
  t.equal(new Set(names).size, names.length, `projection names are unique: ${names.join(', ')}`)
  const tables = projections.flatMap((p) => p.tables)
  t.equal(new Set(tables).size, tables.length, 'every read-model table has one owner')
  t.same(
    contextReactors(contexts, { store: createMemoryEventStore() }).map((r) => r.name),
    ['disclosure-objection-cases'],
  )
  t.same(contextWatchers(contexts).map((w) => w.name), ['sla-breach', 'mediation-deadline', 'fulfilment-overdue'])
})

t.test('the stack serves every command and query route of every context, and only those', async (t) => {
  const { url } = await testDatabase(t)
  const dataDir = await mkdtemp(join(tmpdir(), 'pc-contexts-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const config = loadConfig({ DATABASE_URL: url, DATA_DIR: dataDir, LOG_LEVEL: 'silent', JWT_SECRET: 'x'.repeat(40) })
  const runtime = await openRuntime(config)
  t.teardown(() => runtime.close())
  const app = await buildStack(config, runtime, { projector: { sla: false, migrate: true } })
  t.teardown(() => app.close())
  await app.ready()
  const document = app.swagger() as { paths: Record<string, Record<string, { operationId?: string; tags?: string[] }>> }
  const openApiPath = (url: string) => `/v1${url.replace(/:(\w+)/g, '{$1}')}`
  for (const context of contexts) {
    for (const spec of context.commands) {
      const operation = document.paths[openApiPath(spec.url)]?.post
      t.equal(operation?.operationId, spec.operationId, `POST /v1${spec.url} is ${spec.operationId}`)
      t.same(operation?.tags, [context.name], `${spec.operationId} is filed under ${context.name}`)
    }
  }
  const names = new Set(contexts.map((c) => c.name))
  const v1 = Object.entries(document.paths).filter(([path]) => path.startsWith('/v1/'))
  t.ok(v1.length > 40, `${v1.length} paths under /v1`)
  for (const [path, operations] of v1) {
    for (const [method, operation] of Object.entries(operations)) {
      // A query route may file itself under a figure's tag; the query API files every other under its context.
      const tags = operation.tags ?? []
      t.ok(tags.some((tag) => names.has(tag) || tag === 'sla' || tag === 'metrics'), `${method.toUpperCase()} ${path}: ${tags.join(',')}`)
    }
  }
  const commandRoutes = v1.filter(([, ops]) => ops.post).length
  t.equal(commandRoutes, contexts.reduce((n, c) => n + c.commands.length, 0), 'every POST under /v1 is a command spec')
})

t.test('no service names a context in its code', async (t) => {
  const named = /\b(cases|mediation|disclosures|ledger)\b(?=[^'"]*\}\s*from\s*'@pc\/contexts')|\b(case|mediation|disclosure)(Decider|EventCodec|Projections?|Reactor|Watcher)\b/
  for (const service of await readdir(join(root, 'services'))) {
    const dir = join(root, 'services', service, 'src')
    for (const file of await sourceFiles(dir)) {
      const text = await readFile(file, 'utf8')
      const hits = text.split('\n').filter((line) => named.test(line) && !line.trim().startsWith('*') && !line.trim().startsWith('//'))
      t.same(hits, [], relative(root, file))
    }
  }
})

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await sourceFiles(path)))
    else if (entry.name.endsWith('.ts')) out.push(path)
  }
  return out
}
