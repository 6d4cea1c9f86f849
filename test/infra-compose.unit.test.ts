import { readFileSync } from 'node:fs'
import { loadConfig } from '@pc/platform'
import t from 'tap'
import { parse } from 'yaml'

// Docker is not available on the build machines, so infra/docker-compose.yml is checked by reading it: the
// services, images, ports and wiring, and each service's environment against the configuration schema.

interface ComposeService {
  image?: string
  build?: { context: string; dockerfile: string }
  command?: string[]
  environment?: Record<string, string>
  ports?: string[]
  depends_on?: Record<string, { condition: string }>
  healthcheck?: { test: string[] }
}

const file = new URL('../infra/docker-compose.yml', import.meta.url)
const compose = parse(readFileSync(file, 'utf8'), { merge: true }) as { services: Record<string, ComposeService> }
const services = compose.services
const APPS = ['command-api', 'query-api', 'projector'] as const
/** What the developer exports before `docker compose up` (the compose file refuses to start without it). */
const SHELL = { JWT_SECRET: 'x'.repeat(48), PII_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') }

/** Resolves `${NAME}`, `${NAME:-default}` and `${NAME:?message}` the way docker compose does. */
function interpolate(value: string, shell: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_, name: string, kind?: string, rest?: string) => {
    const set = shell[name]
    if (set !== undefined && set !== '') return set
    if (kind === '-') return rest ?? ''
    throw new Error(`${name} is required: ${rest}`)
  })
}

/** `127.0.0.1:3001:3001` → { host: 3001, container: 3001 } */
function published(port: string): { host: number; container: number } {
  const parts = port.split(':')
  return { host: Number(parts.at(-2)), container: Number(parts.at(-1)) }
}

t.test('the stack is EventStoreDB, PostgreSQL and the three services', async (t) => {
  t.same(Object.keys(services).sort(), ['command-api', 'eventstoredb', 'postgres', 'projector', 'query-api'])
})

t.test('EventStoreDB: a single insecure node on 2113, on localhost only', async (t) => {
  const esdb = services.eventstoredb!
  t.match(esdb.image, /^(eventstore\/eventstore:24\.10|docker\.kurrent\.io\/kurrent-latest\/kurrentdb:)/)
  t.match(esdb.environment, { EVENTSTORE_CLUSTER_SIZE: '1', EVENTSTORE_INSECURE: 'true' })
  t.same(esdb.ports, ['127.0.0.1:2113:2113'], 'an insecure node is never published beyond localhost')
  t.match(esdb.healthcheck?.test.join(' '), /health\/live/)
})

t.test('PostgreSQL: credentials match what the services connect with', async (t) => {
  const postgres = services.postgres!
  t.match(postgres.image, /^postgres:\d+/)
  t.match(postgres.ports?.[0], /^127\.0\.0\.1:5432:5432$/)
  const { POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB } = postgres.environment ?? {}
  for (const app of APPS) {
    const url = new URL(services[app]!.environment!.DATABASE_URL!)
    t.same(
      [url.username, url.password, url.hostname, url.port, url.pathname],
      [POSTGRES_USER, POSTGRES_PASSWORD, 'postgres', '5432', `/${POSTGRES_DB}`],
      `${app} reaches the postgres service`,
    )
  }
})

t.test('each service: built here, started by its package, wired by env variables the config accepts', async (t) => {
  const seenPorts = new Set<number>()
  for (const app of APPS) {
    const service = services[app]!
    t.same(service.build, { context: '..', dockerfile: 'infra/Dockerfile' }, `${app}: built from infra/Dockerfile`)
    t.same(service.command, ['pnpm', '--filter', `@pc/${app}`, 'start'], `${app}: runs its own start script`)
    t.same(service.depends_on, {
      eventstoredb: { condition: 'service_healthy' },
      postgres: { condition: 'service_healthy' },
    })

    const environment = Object.fromEntries(
      Object.entries(service.environment ?? {}).map(([name, value]) => [name, interpolate(String(value), SHELL)]),
    )
    t.same(
      Object.keys(environment).sort(),
      ['DATABASE_URL', 'EVENTSTORE_URL', 'HOST', 'JWT_SECRET', 'LOG_LEVEL', 'PII_MASTER_KEY', 'PORT'],
      `${app}: the variables it is given`,
    )
    const config = loadConfig(environment) // throws, naming the variable, if the schema refuses any of them
    t.equal(config.eventStoreUrl, 'esdb://eventstoredb:2113?tls=false', `${app}: events go to the eventstoredb service`)
    t.equal(config.host, '0.0.0.0', `${app}: listens beyond the container's loopback`)

    const ports = (service.ports ?? []).map(published)
    t.same(ports, [{ host: config.port, container: config.port }], `${app}: publishes its PORT`)
    t.notOk(seenPorts.has(config.port), `${app}: a port of its own`)
    seenPorts.add(config.port)
  }
})

t.test('compose refuses to start without JWT_SECRET or PII_MASTER_KEY rather than run with a known or split key', async (t) => {
  const secret = services['command-api']!.environment!.JWT_SECRET!
  t.throws(() => interpolate(secret, {}), /JWT_SECRET is required/)
  const master = services['command-api']!.environment!.PII_MASTER_KEY!
  t.throws(() => interpolate(master, {}), /PII_MASTER_KEY is required/)
})

t.test('the Dockerfile installs from the lockfile and the services start without a build step', async (t) => {
  const dockerfile = readFileSync(new URL('../infra/Dockerfile', import.meta.url), 'utf8')
  t.match(dockerfile, /pnpm install --frozen-lockfile/)
  t.match(dockerfile, /^FROM node:20/m)
  for (const app of APPS) {
    const manifest = JSON.parse(readFileSync(new URL(`../services/${app}/package.json`, import.meta.url), 'utf8')) as {
      name: string
      scripts?: Record<string, string>
    }
    t.equal(manifest.name, `@pc/${app}`)
    t.type(manifest.scripts?.start, 'string', `@pc/${app} has a start script`)
  }
})
