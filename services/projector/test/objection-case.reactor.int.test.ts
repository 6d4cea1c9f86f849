import { randomUUID } from 'node:crypto'
import type { DisclosureDraft } from '@pc/contracts'
import {
  disclosureDecider,
  disclosureEventCodec,
  disclosureStreamId,
  objectionCaseId,
  type CommandActor,
  type DisclosureCommand,
} from '@pc/domain'
import { createPostgresEventStore, handleCommand, type RecordedEvent } from '@pc/event-store'
import { testDatabase } from '@pc/postgres/testing'
import {
  ProjectionRunner,
  createReadModelDatabase,
  migrateReadModels,
  readCheckpoint,
  waitForProjections,
  type Projection,
} from '@pc/read-models'
import t, { type Test } from 'tap'
import { OBJECTION_CASE_REACTOR, objectionCaseReactor, openObjectionCase } from '@pc/contexts'

/**
 * The objection → case reactor (issue 6) on a real PostgreSQL: every objection opens exactly one complaint case,
 * however often it is delivered — run twice, retried after a failure between the case's append and the checkpoint,
 * or raced by two callers.
 */

const manager: CommandActor = { id: 'manager-1', roles: ['manager'] }
const resident = (n: number): CommandActor => ({ id: `resident-${n}`, roles: ['resident'], units: [`3-1-50${n}`] })
const notice: DisclosureDraft = { kind: 'notice', title: 'Cleaning contract renewed', body: 'With the same company, at the same price.' }

async function setup(t: Test) {
  const { url } = await testDatabase(t)
  const store = await createPostgresEventStore({ connectionString: url, pollIntervalMs: 50 })
  t.teardown(() => store.close())
  const db = createReadModelDatabase({ connectionString: url, max: 6 })
  t.teardown(() => db.destroy())
  await migrateReadModels(db)

  const run = (id: string, command: DisclosureCommand) =>
    handleCommand(store, disclosureDecider, disclosureStreamId(id), command, {
      codec: disclosureEventCodec,
      context: () => ({ now: new Date().toISOString(), advanceNoticeDays: 7, newId: randomUUID }),
      metadata: { actor: { id: command.actor.id, roles: [...command.actor.roles] }, occurredAt: new Date().toISOString(), correlationId: randomUUID(), causationId: null },
      eventIds: () => randomUUID(),
    })

  /** A published notice with one objection per resident; returns the objection events. */
  async function objected(residents: number[]): Promise<RecordedEvent[]> {
    const id = randomUUID()
    await run(id, { type: 'draft', disclosureId: id, data: notice, actor: manager })
    await run(id, { type: 'publish', data: {}, actor: manager })
    await run(id, { type: 'comment', data: { body: 'Good' }, actor: resident(1) })
    for (const n of residents) await run(id, { type: 'object', data: { reason: `Objection ${n}` }, actor: resident(n) })
    const events: RecordedEvent[] = []
    for await (const event of store.readStream(disclosureStreamId(id))) if (event.type === 'DisclosureObjected') events.push(event)
    return events
  }

  async function caseStream(objection: RecordedEvent): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = []
    for await (const event of store.readStream(`case-${caseIdOf(objection)}`)) events.push(event)
    return events
  }

  async function runUntil(projections: Projection[], position: bigint, options: { retryDelayMs?: number } = {}) {
    const runner = new ProjectionRunner({ db, store, connectionString: url, projections, leasePollMs: 50, retryDelayMs: options.retryDelayMs ?? 50 })
    runner.start()
    try {
      const reached = await waitForProjections(db, store, projections.map((p) => p.name), position, { timeoutMs: 15_000 })
      return { reached, status: runner.status() }
    } finally {
      await runner.stop()
    }
  }

  return { store, db, objected, caseStream, runUntil }
}

const caseIdOf = (objection: RecordedEvent) => objectionCaseId(String(objection.data['objectionId']))

t.test('run by the projection runner: one case per objection, checkpointed like a projection', async (t) => {
  const { store, db, objected, caseStream, runUntil } = await setup(t)
  const first = await objected([1, 2])
  const second = await objected([3])
  const last = second.at(-1)!.position
  const { reached } = await runUntil([objectionCaseReactor({ store })], last)
  t.ok(reached, 'the reactor passed the last objection')
  for (const objection of [...first, ...second]) {
    const events = await caseStream(objection)
    t.same(events.map((e) => e.type), ['CaseReported'])
    t.match(events[0]!.data, { kind: 'complaint', category: 'disclosure', reporterId: objection.data['objectorId'] })
    t.match(events[0]!.metadata, { actor: { id: 'system:disclosures' }, causationId: objection.eventId, correlationId: objection.metadata.correlationId })
  }
  const checkpoint = await readCheckpoint(db, OBJECTION_CASE_REACTOR)
  t.ok(checkpoint && BigInt(checkpoint.position) >= last, 'its checkpoint is stored with the projections’')

  // Run again from the start of the log (a lost checkpoint): every objection is delivered again, nothing is added.
  await db.deleteFrom('projection_checkpoints').where('name', '=', OBJECTION_CASE_REACTOR).execute()
  t.ok((await runUntil([objectionCaseReactor({ store })], last)).reached)
  for (const objection of [...first, ...second]) t.equal((await caseStream(objection)).length, 1, 'still one event per case')
})

t.test('a failure after the case was appended but before the checkpoint: the retry opens no second case', async (t) => {
  const { store, objected, caseStream, runUntil } = await setup(t)
  const [objection] = await objected([1])
  const reactor = objectionCaseReactor({ store })
  let failures = 0
  // The connection drops right after the reactor appended the case: the batch's transaction (and its checkpoint)
  // rolls back, the runner retries from the stored checkpoint and delivers the objection again.
  const crashing: Projection = {
    ...reactor,
    async handle(trx, events) {
      await reactor.handle(trx, events)
      if (failures++ === 0) throw Object.assign(new Error('Connection terminated unexpectedly'), { code: '08006' })
    },
  }
  const { reached } = await runUntil([crashing], objection!.position, { retryDelayMs: 10 })
  t.ok(reached)
  t.ok(failures >= 2, 'the objection was delivered again after the failure')
  t.same((await caseStream(objection!)).map((e) => e.type), ['CaseReported'])
})

t.test('openObjectionCase: the first call creates, a repeat finds the case, a race creates it once', async (t) => {
  const { store, objected, caseStream } = await setup(t)
  const [one, two] = await objected([1, 2])
  t.same(await openObjectionCase({ store }, one!), { caseId: caseIdOf(one!), created: true })
  t.same(await openObjectionCase({ store }, one!), { caseId: caseIdOf(one!), created: false })
  const raced = await Promise.all(Array.from({ length: 4 }, () => openObjectionCase({ store }, two!)))
  t.same(new Set(raced.map((r) => r.caseId)), new Set([caseIdOf(two!)]), 'every racing call answers the same case')
  t.ok(raced.some((r) => r.created), 'one of four racing calls created it (the others were idempotent or refused)')
  t.equal((await caseStream(two!)).length, 1, 'the race left one report in the case stream')
  await t.rejects(openObjectionCase({ store }, { ...one!, type: 'DisclosureCommented' }), 'only objections are turned into cases')
})
