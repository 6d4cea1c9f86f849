import { randomUUID } from 'node:crypto'
import { caseDecider, caseEventCodec, DEFAULT_SLA_POLICY, type CaseCommand } from '@pc/domain'
import { handleCommand, StreamStateCache, type RecordedEvent } from '@pc/event-store'
import { verifyChain } from '@pc/ledger'
import { verifyToken, type Runtime } from '@pc/platform'
import t from 'tap'
import { callers, post, reportCase, SECRET, setup, tokenOf } from './support/command-api.js'

/**
 * The command API's stream cache (`HandleOptions.cache`, one per process in `stream-cache.ts`) must never make a
 * command decide on a state older than the stream: writes by another writer (another process, the SLA worker) are found by the append's expected revision,
 * and the command is decided again on a fresh read. Also: the verified-token cache keeps its secret.
 */

async function streamOf(runtime: Runtime, caseId: string): Promise<RecordedEvent[]> {
  const events = []
  for await (const event of runtime.eventStore.readStream(`case-${caseId}`)) events.push(event)
  return events
}

/** A command appended behind the command API's back, as another process would. */
async function appendElsewhere(runtime: Runtime, caseId: string, command: Omit<CaseCommand, 'actor'>) {
  const now = new Date().toISOString()
  const actor = { id: callers.boss.sub, roles: callers.boss.roles }
  await handleCommand(runtime.eventStore, caseDecider, `case-${caseId}`, { ...command, actor } as CaseCommand, {
    codec: caseEventCodec,
    context: () => ({ now, newId: randomUUID, slaPolicy: DEFAULT_SLA_POLICY }),
    metadata: { actor, occurredAt: now, correlationId: randomUUID(), causationId: null },
    eventIds: () => randomUUID(),
  })
}

t.test('stream cache', async (t) => {
  const { app, runtime } = await setup(t)

  t.test('a write by another writer is found, and the chain goes on from it', async (t) => {
    const caseId = await reportCase(app)
    t.equal((await post(app, `/cases/${caseId}/note`, { body: 'first', visibility: 'public' })).statusCode, 200)
    await appendElsewhere(runtime, caseId, { type: 'note', data: { body: 'elsewhere', visibility: 'internal' } })

    const res = await post(app, `/cases/${caseId}/note`, { body: 'after', visibility: 'public' })
    t.equal(res.statusCode, 200)
    t.equal(res.json().revision, '3')
    const events = await streamOf(runtime, caseId)
    t.same(
      events.map((e) => [String(e.revision), e.data.body ?? e.type]),
      [['0', 'CaseReported'], ['1', 'first'], ['2', 'elsewhere'], ['3', 'after']],
    )
    t.equal(verifyChain(events).ok, true)
  })

  t.test('If-Match: a revision written elsewhere is current, an older one is stale', async (t) => {
    const caseId = await reportCase(app)
    t.equal((await post(app, `/cases/${caseId}/note`, { body: 'first', visibility: 'public' })).statusCode, 200)
    await appendElsewhere(runtime, caseId, { type: 'note', data: { body: 'elsewhere', visibility: 'internal' } })

    const stale = await post(app, `/cases/${caseId}/note`, { body: 'stale', visibility: 'public' }, { ifMatch: '"1"' })
    t.equal(stale.statusCode, 409)
    t.equal(stale.json().code, 'WRONG_EXPECTED_REVISION')
    const current = await post(app, `/cases/${caseId}/note`, { body: 'current', visibility: 'public' }, { ifMatch: '"2"' })
    t.equal(current.statusCode, 200)
    t.equal(current.json().revision, '3')
  })

  t.test('a command refused on the cached state is decided again on the stream as it is', async (t) => {
    const caseId = await reportCase(app)
    t.equal((await post(app, `/cases/${caseId}/assign`, { assigneeId: callers.technician.sub })).statusCode, 200)
    t.equal((await post(app, `/cases/${caseId}/hold`, { reason: 'waiting for parts' })).statusCode, 200)
    // Cached: on hold. Resumed elsewhere, so holding again is allowed.
    await appendElsewhere(runtime, caseId, { type: 'resume', data: {} })
    const res = await post(app, `/cases/${caseId}/hold`, { reason: 'waiting again' })
    t.equal(res.statusCode, 200, res.body)
    t.equal(res.json().revision, '5')
  })

  t.test('concurrent commands on one case all land, in one chain', async (t) => {
    const caseId = await reportCase(app)
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post(app, `/cases/${caseId}/note`, { body: `note ${i}`, visibility: 'public' })),
    )
    t.same(answers.map((a) => a.statusCode), Array(20).fill(200))
    t.same(answers.map((a) => Number(a.json().revision)).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1))
    t.equal(verifyChain(await streamOf(runtime, caseId)).ok, true)
  })
})

t.test('StreamStateCache is a bounded LRU that never goes back', async (t) => {
  const cache = new StreamStateCache<string>(2)
  const entry = (revision: bigint, state: string) => ({ revision, position: revision, lastHash: 'h', state })
  cache.remember('a', entry(1n, 'a1'))
  cache.remember('b', entry(1n, 'b1'))
  t.equal(cache.get('a')?.state, 'a1') // a is now the newest
  cache.remember('c', entry(1n, 'c1'))
  t.equal(cache.get('b'), undefined, 'the least recently used is dropped')
  t.equal(cache.size, 2)
  cache.remember('a', entry(3n, 'a3'))
  cache.remember('a', entry(2n, 'a2'))
  t.equal(cache.get('a')?.state, 'a3', 'an older revision does not replace a newer one')
  cache.forget('a')
  t.equal(cache.get('a'), undefined)
})

t.test('a verified token is kept for its own secret only', async (t) => {
  const token = await tokenOf('staff')
  t.equal((await verifyToken(SECRET, token)).id, callers.staff.sub)
  t.equal((await verifyToken(SECRET, token)).id, callers.staff.sub)
  await t.rejects(verifyToken('another-secret-that-is-long-enough-for-hs256', token), { message: 'token signature does not verify' })
  const actor = await verifyToken(SECRET, token)
  t.ok(Object.isFrozen(actor) && Object.isFrozen(actor.roles) && Object.isFrozen(actor.units))
})
