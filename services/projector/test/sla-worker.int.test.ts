import t from 'tap'
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import {
  caseDecider,
  caseEventCodec,
  caseStreamId,
  DEFAULT_SLA_POLICY,
  type CaseCommand,
  type CommandActor,
} from '@pc/domain'
import { createPostgresEventStore, handleCommand, type RecordedEvent } from '@pc/event-store'
import { testDatabase } from '@pc/postgres/testing'
import {
  caseSlaProjection,
  createReadModelDatabase,
  migrateReadModels,
  ProjectionRunner,
  waitForProjections,
} from '@pc/read-models'
import { slaBreachWatcher } from '@pc/contexts'
import { SLA_WORKER_LEASE, SlaWorker } from '../src/index.js'

const STAFF: CommandActor = { id: 'staff-1', roles: ['staff'] }
const RESIDENT: CommandActor = { id: 'resident-1', roles: ['resident'] }
/** A Monday, 10:00 in Beijing: business-hours clocks are running. */
const T0 = Date.parse('2026-03-02T02:00:00.000Z')
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString()

// One database for the whole file: every subtest moves the same clock forward over the same cases.
const { url, name } = await testDatabase(t)
const db = createReadModelDatabase({ connectionString: url, max: 6 })
t.teardown(() => db.destroy())
await sql.raw(`alter database ${name} set synchronous_commit = off`).execute(db)
const store = await createPostgresEventStore({ connectionString: url, pollIntervalMs: 20 })
t.teardown(() => store.close())
await migrateReadModels(db)
const runner = new ProjectionRunner({ db, store, connectionString: url, projections: [caseSlaProjection], leasePollMs: 50 })
runner.start()
t.teardown(() => runner.stop())

let lastPosition = -1n
async function send(caseId: string, command: CaseCommand, minutes: number) {
  const now = at(minutes)
  const result = await handleCommand(store, caseDecider, caseStreamId(caseId), command, {
    codec: caseEventCodec,
    context: () => ({ now, slaPolicy: DEFAULT_SLA_POLICY }),
    metadata: { actor: { id: command.actor.id, roles: [...command.actor.roles] }, occurredAt: now, correlationId: randomUUID(), causationId: null },
    eventIds: () => randomUUID(),
  })
  lastPosition = result.position
  return result
}

async function report(priority: 'urgent' | 'normal', minutes: number): Promise<string> {
  const caseId = randomUUID()
  await send(
    caseId,
    {
      type: 'report',
      caseId,
      actor: RESIDENT,
      data: {
        kind: 'repair',
        category: 'lift',
        title: 'Lift stuck',
        description: 'Between floors 3 and 4',
        channel: 'app',
        priority,
        location: { building: 'B1', unit: '101' },
      },
    },
    minutes,
  )
  return caseId
}

async function events(caseId: string): Promise<RecordedEvent[]> {
  const found: RecordedEvent[] = []
  for await (const event of store.readStream(caseStreamId(caseId))) found.push(event)
  return found
}
const typesOf = async (caseId: string) => (await events(caseId)).map((e) => e.type)
const count = async (caseId: string, type: string) => (await typesOf(caseId)).filter((x) => x === type).length

/** The read model has applied everything appended so far (the worker reads deadlines from it). */
async function projected() {
  const { position } = await store.append(`marker-${randomUUID()}`, [
    { eventId: randomUUID(), type: 'Marker', schemaVersion: 1, data: {}, metadata: { actor: { id: 'test', roles: [] }, occurredAt: at(0), correlationId: randomUUID(), causationId: null, prevHash: '0'.repeat(64), hash: '0'.repeat(64) } },
  ])
  t.ok(await waitForProjections(db, store, [caseSlaProjection.name], position > lastPosition ? position : lastPosition, { timeoutMs: 10_000 }))
}

let clock = T0
const worker = (now = () => new Date(clock)) => new SlaWorker({ db, store, now, watchers: [slaBreachWatcher] })

// A: urgent, left alone. B: urgent, acknowledged in time. C: urgent, assigned then put on hold. D: normal priority.
const A = await report('urgent', 0)
const B = await report('urgent', 0)
const C = await report('urgent', 0)
const D = await report('normal', 0)
await send(B, { type: 'acknowledge', data: {}, actor: STAFF }, 5)
await send(C, { type: 'assign', data: { assigneeId: 'tech-1' }, actor: STAFF }, 5)
await send(C, { type: 'hold', data: { reason: 'waiting for parts' }, actor: STAFF }, 10)
await projected()

t.test('before any deadline the worker sends nothing', async (t) => {
  clock = T0 + 12 * 60_000
  const tick = await worker().tick()
  t.same(tick, { sent: [], failed: 0 })
})

t.test('a missed response target is recorded once, as system:sla at the moved clock, and escalates the case', async (t) => {
  clock = T0 + 20 * 60_000
  const tick = await worker().tick()
  t.same(tick.sent.map((s) => [s.streamId, s.appended]), [[caseStreamId(A), 2]], 'only A missed its response target')
  const [overdue, escalated] = (await events(A)).slice(-2)
  t.match(overdue, { type: 'ResponseOverdue', data: { dueAt: at(15), at: at(20) }, metadata: { actor: { id: 'system:sla' }, occurredAt: at(20) } })
  t.match(escalated, { type: 'CaseEscalated', data: { level: 1, source: 'sla', clock: 'response' }, metadata: { actor: { id: 'system:sla' } } })
  t.equal(tick.sent[0]!.position, escalated!.position, 'the position of the last event appended')

  // The read model has not caught up yet: the candidate comes back, and the decider records nothing twice.
  const again = await worker().tick()
  t.ok(again.sent.every((s) => s.appended === 0), 'a stale read model sends, but nothing is appended')
  await projected()
  t.same((await worker().tick()).sent, [], 'once projected, the breach is no longer a candidate')
  t.equal(await count(A, 'ResponseOverdue'), 1)
})

t.test('two workers at once record an update breach once', async (t) => {
  clock = T0 + 130 * 60_000 // B was acknowledged at +5 min: its next public update was due at +125 min
  const [one, two] = await Promise.all([worker().tick(), worker().tick()])
  t.equal(one.failed + two.failed, 0)
  t.same([...one.sent, ...two.sent].filter((s) => s.appended > 0).map((s) => s.streamId), [caseStreamId(B)], 'one of them appended')
  t.equal(await count(B, 'UpdateOverdue'), 1, 'one UpdateOverdue')
  t.equal(await count(B, 'CaseEscalated'), 1)
  t.equal(await count(A, 'UpdateOverdue'), 0, "A's update clock never started (no response yet)")
  await projected()
})

t.test('after a restart, later breaches are recorded and earlier ones are not repeated', async (t) => {
  clock = T0 + 300 * 60_000
  const tick = await worker().tick()
  const appended = tick.sent.filter((s) => s.appended > 0).map((s) => s.label).sort()
  t.same(
    appended,
    [`${caseStreamId(A)}: resolution`, `${caseStreamId(B)}: resolution`, `${caseStreamId(D)}: response`].sort(),
    'A and B missed resolution (4 h, round the clock); D missed its 4 business hours; C is on hold',
  )
  t.equal(await count(A, 'ResponseOverdue'), 1, 'still one response breach for A')
  t.match((await events(A)).at(-1), { type: 'CaseEscalated', data: { level: 2, clock: 'resolution' } })
  t.notOk((await typesOf(C)).some((type) => type.endsWith('Overdue')), 'time on hold does not count')
  await projected()
  t.same((await worker().tick()).sent, [], 'nothing left to record')
})

t.test('started workers share a lease and record a new breach once', async (t) => {
  const E = await report('urgent', 300)
  await projected()
  const workers = [0, 1].map(
    () => new SlaWorker({ db, store, now: () => new Date(clock), intervalMs: 30, watchers: [slaBreachWatcher], lease: { connectionString: url, pollMs: 30 } }),
  )
  workers.forEach((w) => w.start())
  t.teardown(() => Promise.all(workers.map((w) => w.stop())))
  clock = T0 + 320 * 60_000
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline && (await count(E, 'ResponseOverdue')) === 0) await new Promise((r) => setTimeout(r, 50))
  await new Promise((r) => setTimeout(r, 200)) // a few more rounds of whichever worker holds the lease
  t.equal(await count(E, 'ResponseOverdue'), 1, 'recorded by the running loop, once')
  const { rows } = await sql<{ holding: string; sessions: string }>`
    select count(*) filter (where l.granted) as holding, count(distinct a.pid) as sessions
      from pg_stat_activity a left join pg_locks l on l.pid = a.pid and l.locktype = 'advisory'
     where a.datname = current_database() and a.application_name = ${`pc-lease:${SLA_WORKER_LEASE}`}`.execute(db)
  t.same(rows[0], { holding: '1', sessions: '2' }, 'both workers are on the lease; one holds it')
  await Promise.all(workers.map((w) => w.stop()))
  t.pass('both stopped')
})
