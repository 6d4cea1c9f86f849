import type { RecordedEvent } from '@pc/event-store'
import type { Runtime } from '@pc/platform'
import { sql } from 'kysely'
import t from 'tap'
import { requestFingerprint } from '../src/idempotency.js'
import { callers, post, reportBody, reportCase, setup, startServer, tokenOf } from './support/command-api.js'

/**
 * What `commandRoute` promises beyond one request at a time: 50 concurrent commands on one case over a real
 * socket, Idempotency-Keys that survive a restart, a key whose first request died mid-command, and a key whose
 * first request is still running. One database for the file.
 */

async function streamOf(runtime: Runtime, caseId: string): Promise<RecordedEvent[]> {
  const events = []
  for await (const event of runtime.eventStore.readStream(`case-${caseId}`)) events.push(event)
  return events
}

t.test('commandRoute', async (t) => {
  const { app, runtime, databaseUrl } = await setup(t)

  t.test('50 concurrent commands on one case over HTTP', async (t) => {
    const caseId = await reportCase(app)
    await post(app, `/cases/${caseId}/assign`, { assigneeId: callers.technician.sub })
    const revision = (await streamOf(runtime, caseId)).length - 1

    const address = await app.listen({ port: 0, host: '127.0.0.1' })
    const token = await tokenOf('boss')
    type Sent = { correlationId: string; key?: string; kind: string }
    const requests: Array<Sent & { route: string; body: object; ifMatch?: string }> = []
    // No If-Match: retried on a concurrent write, a bounded number of times.
    for (let i = 0; i < 32; i++) {
      requests.push({ kind: 'note', correlationId: `c-note-${i}`, route: 'note', body: { body: `note ${i}`, visibility: 'internal' } })
    }
    // Pinned to the revision every one of them saw: at most one can win.
    for (let i = 0; i < 10; i++) {
      requests.push({ kind: 'pinned', correlationId: `c-pinned-${i}`, route: 'escalate', body: { reason: `pinned ${i}` }, ifMatch: `"${revision}"` })
    }
    // Refused by a rule whatever the order.
    for (let i = 0; i < 4; i++) {
      requests.push({ kind: 'rule', correlationId: `c-rule-${i}`, route: 'unlink', body: { caseId: '1c8b2a6d-3e5f-4d4c-8b9a-2f3e4d5c6b71' } })
    }
    // Two pairs racing under one key each: one command per key.
    for (const key of ['race-a', 'race-b']) {
      for (let i = 0; i < 2; i++) {
        requests.push({ kind: 'keyed', key, correlationId: `c-${key}-${i}`, route: 'note', body: { body: key, visibility: 'public' } })
      }
    }
    t.equal(requests.length, 50)

    const answers = await Promise.all(
      requests.map(async (r) => {
        const headers: Record<string, string> = {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'x-correlation-id': r.correlationId,
        }
        if (r.ifMatch) headers['if-match'] = r.ifMatch
        if (r.key) headers['idempotency-key'] = r.key
        const res = await fetch(`${address}/v1/cases/${caseId}/${r.route}`, { method: 'POST', headers, body: JSON.stringify(r.body) })
        return { ...r, status: res.status, body: (await res.json()) as Record<string, string> }
      }),
    )

    const statuses = answers.map((a) => a.status)
    t.ok(statuses.every((s) => s === 200 || s === 409 || s === 422), `only 200, 409 or 422: ${statuses.join(',')}`)
    for (const a of answers.filter((a) => a.status !== 200)) {
      t.equal(a.body.code, a.status === 409 ? 'WRONG_EXPECTED_REVISION' : 'RULE_VIOLATED', `${a.correlationId} refused`)
    }
    t.ok(answers.filter((a) => a.kind === 'rule').every((a) => a.status === 422), 'rule violations are 422')
    t.ok(answers.filter((a) => a.kind === 'pinned' && a.status === 200).length <= 1, 'at most one pinned command wins')
    t.ok(answers.filter((a) => a.kind === 'note' && a.status === 200).length >= 10, 'unpinned commands mostly get through')

    const events = await streamOf(runtime, caseId)
    t.same(events.map((e) => e.revision), events.map((_, i) => BigInt(i)), 'revisions are contiguous')
    const appended = events.slice(revision + 1)
    for (const a of answers.filter((a) => a.kind !== 'keyed')) {
      const mine = appended.filter((e) => e.metadata.correlationId === a.correlationId)
      if (a.status === 200) {
        t.equal(mine.length, 1, `${a.correlationId}: its event is in the stream once`)
        t.equal(String(mine[0]?.revision), a.body.revision, `${a.correlationId}: at the revision it was answered`)
      } else {
        t.equal(mine.length, 0, `${a.correlationId}: refused, nothing appended`)
      }
    }
    let keyedAccepted = 0
    for (const key of ['race-a', 'race-b']) {
      // The second waits for the first; if the first was refused (409 after its bounded retries), it gave the key
      // back and the second ran on its own.
      const pair = answers.filter((a) => a.key === key)
      const won = pair.filter((a) => a.status === 200)
      const mine = appended.filter((e) => e.metadata.idempotencyKey === key)
      t.equal(mine.length, won.length > 0 ? 1 : 0, `${key}: one event at most`)
      if (won.length === 2) t.same(won[0]!.body, won[1]!.body, `${key}: both answered the same`)
      if (won.length > 0) t.equal(String(mine[0]?.revision), won[0]!.body.revision)
      keyedAccepted += mine.length
    }
    const accepted = answers.filter((a) => a.status === 200 && a.kind !== 'keyed').length + keyedAccepted
    t.equal(appended.length, accepted, 'every event belongs to an accepted command')
  })

  t.test('Idempotency-Keys survive a restart', async (t) => {
    const first = await startServer(t, databaseUrl)
    const caseId = await reportCase(first.app)
    const body = { body: 'Engineer booked for 14:00', visibility: 'public' }
    const answer = await post(first.app, `/cases/${caseId}/note`, body, { key: 'before-restart' })
    t.equal(answer.statusCode, 200)
    await first.close()

    const second = await startServer(t, databaseUrl)
    const replay = await post(second.app, `/cases/${caseId}/note`, body, { key: 'before-restart' })
    t.equal(replay.statusCode, 200)
    t.same(replay.json(), answer.json(), 'the new server answers the first answer')
    t.equal(replay.headers['idempotent-replayed'], 'true')
    const reused = await post(second.app, `/cases/${caseId}/note`, { ...body, body: 'other' }, { key: 'before-restart' })
    t.match(reused.json(), { status: 422, code: 'IDEMPOTENCY_KEY_REUSED' })
    t.equal((await streamOf(second.runtime, caseId)).length, 2, 'the note is in the stream once')
  })

  t.test('a key whose first request died after appending answers what was appended, and appends nothing', async (t) => {
    const caseId = await reportCase(app)
    const body = { body: 'Parts ordered', visibility: 'internal' }
    const first = await post(app, `/cases/${caseId}/note`, body, { key: 'died-mid-command' })
    const created = await post(app, '/cases', reportBody(), { as: 'resident', key: 'died-creating' })
    // As if the process had died between appending and recording the answer: the claims are left pending, stale.
    await sql`update command_idempotency set status_code = null, response = null,
                claimed_at = now() - interval '2 minutes'
              where key in ('died-mid-command', 'died-creating')`.execute(runtime.db)

    const again = await post(app, `/cases/${caseId}/note`, body, { key: 'died-mid-command' })
    t.equal(again.statusCode, 200)
    t.same(again.json(), first.json(), 'the answer of the events already appended')
    t.equal((await streamOf(runtime, caseId)).length, 2, 'no second note')

    const recreated = await post(app, '/cases', reportBody(), { as: 'resident', key: 'died-creating' })
    t.equal(recreated.statusCode, 201)
    t.same(recreated.json(), created.json(), 'the same case, not a second one')
    t.equal((await streamOf(runtime, created.json().id)).length, 1)
  })

  t.test('a request waits for a running request with the same key and answers its answer', async (t) => {
    const caseId = await reportCase(app)
    const body = { reason: 'third report this week' }
    const path = `/v1/cases/${caseId}/escalate`
    const stored = { id: caseId, revision: '7', position: '99' }
    // A first request with this key is "running": claimed (fresh), no answer yet.
    const fingerprint = requestFingerprint('POST', path, body)
    await sql`insert into command_idempotency (actor_id, key, fingerprint) values (${callers.boss.sub}, 'running', ${fingerprint})`.execute(
      runtime.db,
    )
    const waiting = post(app, `/cases/${caseId}/escalate`, body, { key: 'running' })
    await new Promise((resolve) => setTimeout(resolve, 150))
    await sql`update command_idempotency set status_code = 200, response = ${JSON.stringify(stored)}::jsonb
              where key = 'running'`.execute(runtime.db)
    const res = await waiting
    t.equal(res.statusCode, 200)
    t.same(res.json(), stored, 'the running request’s answer, not a second command')
    t.equal((await streamOf(runtime, caseId)).length, 1, 'nothing appended by the waiting request')
  })

  t.test('two reports racing under one key create one case', async (t) => {
    const [a, b] = await Promise.all(
      [0, 1].map(() => post(app, '/cases', reportBody(), { as: 'resident', key: 'double-tap' })),
    )
    t.same([a!.statusCode, b!.statusCode], [201, 201])
    t.same(a!.json(), b!.json())
    t.equal((await streamOf(runtime, a!.json().id)).length, 1)
  })

  t.test('keys belong to their caller', async (t) => {
    const caseId = await reportCase(app)
    const body = { body: 'same words', visibility: 'public' }
    const mine = await post(app, `/cases/${caseId}/note`, body, { key: 'shared-key', as: 'boss' })
    const theirs = await post(app, `/cases/${caseId}/note`, body, { key: 'shared-key', as: 'staff' })
    t.same([mine.statusCode, theirs.statusCode], [200, 200])
    t.not(mine.json().revision, theirs.json().revision, 'two callers, two commands')
  })
})
