import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CaseCommandData } from '@pc/contracts'
import { caseDecider, caseEventCodec, DEFAULT_SLA_POLICY, type CaseCommand, type CaseState, type CommandActor } from '@pc/domain'
import { handleCommand, type HandleResult } from '@pc/event-store'
import { loadConfig, openRuntime, signToken, type HttpServer, type Role, type Runtime } from '@pc/platform'
import { testDatabase } from '@pc/postgres/testing'
import { caseProjections, createReadModelDatabase, ProjectionRunner, waitForProjections, type Database } from '@pc/read-models'
import type { Kysely } from 'kysely'
import { buildServer } from '../../src/server.js'
import { sealedForTest } from '@pc/testing/personal'

/** What `app.inject` resolves to. */
export type InjectResponse = Awaited<ReturnType<HttpServer['inject']>>

export const SECRET = 'query-api-test-secret-long-enough-for-hs256'
export const CASE_PROJECTIONS = caseProjections.map((p) => p.name)

interface Tap {
  teardown(fn: () => unknown): void
}

export interface Stack {
  app: HttpServer
  runtime: Runtime
  /** The projector's own connection to the read models (as in production: not the API's pool). */
  db: Kysely<Database>
  /** The clock the query API measures SLA with; tests set it. */
  clock: { now: Date }
  /** Runs the real projection runner over the case projections until `stopProjector`. */
  startProjector(): void
  stopProjector(): Promise<void>
  /** Waits until every case projection has applied the event at `position`. */
  settle(position: bigint): Promise<void>
  /** A case command through the generic command handler and the real decider, as the command API runs it. */
  command(caseId: string, command: CaseCommand, at: string): Promise<HandleResult<CaseState>>
  token(sub: string, ...roles: Role[]): Promise<string>
  get(url: string, token: string): Promise<InjectResponse>
}

/**
 * The query API on a real PostgreSQL (event store and read models in one database, as in the embedded default),
 * with the projection runner that fills the read models. Data goes in as commands, never as read-model rows.
 */
export async function stack(t: Tap, options: { waitForTimeoutMs?: number } = {}): Promise<Stack> {
  const database = await testDatabase(t)
  const dataDir = await mkdtemp(join(tmpdir(), 'pc-query-api-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const config = loadConfig({ DATABASE_URL: database.url, DATA_DIR: dataDir, JWT_SECRET: SECRET, LOG_LEVEL: 'silent' })
  const runtime = await openRuntime(config)
  t.teardown(() => runtime.close())
  const clock = { now: new Date('2026-03-10T02:00:00.000Z') }
  const app = await buildServer(config, runtime, {
    now: () => clock.now,
    ...(options.waitForTimeoutMs !== undefined && { waitForTimeoutMs: options.waitForTimeoutMs }),
  })
  t.teardown(() => app.close())
  const db = createReadModelDatabase({ connectionString: runtime.databaseUrl, max: 8 })
  t.teardown(() => db.destroy())

  let runner: ProjectionRunner | null = null
  const stopProjector = async () => {
    await runner?.stop()
    runner = null
  }
  t.teardown(stopProjector)

  return {
    app,
    runtime,
    db,
    clock,
    startProjector() {
      if (runner) return
      runner = new ProjectionRunner({
        db,
        store: runtime.eventStore,
        connectionString: runtime.databaseUrl,
        projections: caseProjections,
        batchSize: 500,
        leasePollMs: 50,
        retryDelayMs: 50,
      })
      runner.start()
    },
    stopProjector,
    async settle(position) {
      if (!(await waitForProjections(db, runtime.eventStore, CASE_PROJECTIONS, position, { timeoutMs: 30_000 }))) {
        throw new Error(`the case projections did not reach position ${position}`)
      }
    },
    command: (caseId, command, at) =>
      handleCommand(runtime.eventStore, caseDecider, `case-${caseId}`, command, {
        codec: caseEventCodec,
        context: () => ({ now: at, slaPolicy: DEFAULT_SLA_POLICY }),
        metadata: {
          actor: { id: command.actor.id, roles: [...command.actor.roles] },
          occurredAt: at,
          correlationId: randomUUID(),
          causationId: null,
        },
        eventIds: () => randomUUID(),
      }),
    token: (sub, ...roles) => signToken(SECRET, { sub, roles }),
    get: async (url, token) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } }),
  }
}

/** A report command body with sensible defaults. */
export function report(
  caseId: string,
  actor: CommandActor,
  data: Partial<CaseCommandData<'report'>> = {},
): CaseCommand {
  return {
    type: 'report',
    caseId,
    actor,
    data: {
      kind: 'repair',
      category: 'plumbing',
      title: 'Leaking pipe',
      description: 'Water under the sink',
      channel: 'app',
      priority: 'normal',
      location: { building: 'B1', unit: '101' },
      reporter: sealedForTest(actor.id),
      ...data,
    },
  }
}

/** `minutes` after `start`, as ISO. */
export function minutesAfter(start: string, minutes: number): string {
  return new Date(Date.parse(start) + minutes * 60_000).toISOString()
}
