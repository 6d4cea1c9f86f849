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
import { handleCommand } from '@pc/event-store'
import { DISCLOSURES_PROJECTION, ProjectionRunner, disclosureProjection, rebuildProjections, waitForProjections } from '@pc/read-models'
import t from 'tap'
import { stack } from './support/stack.js'

/**
 * The disclosure queries (issue 6) on a real database: disclosures go in as commands through the generic command
 * handler and the real decider, the real projection fills the read models, the query API answers. Per route: what
 * each role sees (drafts are the managers'), bad parameters (400 naming them), and what is returned.
 */

const s = await stack(t)
const runner = new ProjectionRunner({
  db: s.db,
  store: s.runtime.eventStore,
  connectionString: s.runtime.databaseUrl,
  projections: [disclosureProjection],
  leasePollMs: 50,
  retryDelayMs: 50,
})
runner.start()
t.teardown(() => runner.stop())

const manager: CommandActor = { id: 'manager-1', roles: ['manager'] }
const resident: CommandActor = { id: 'resident-1', roles: ['resident'], units: ['3-1-502'] }
const committee: CommandActor = { id: 'committee-1', roles: ['committee'] }
const tokens = {
  manager: await s.token('manager-1', 'manager'),
  resident: await s.token('resident-1', 'resident'),
  committee: await s.token('committee-1', 'committee'),
  auditor: await s.token('auditor-1', 'auditor'),
}

let lastPosition = 0n
/** Runs one command at `at` on a disclosure's stream, as the command API would. */
async function run(id: string, command: DisclosureCommand, at: string) {
  const result = await handleCommand(s.runtime.eventStore, disclosureDecider, disclosureStreamId(id), command, {
    codec: disclosureEventCodec,
    context: () => ({ now: at, advanceNoticeDays: 7, newId: randomUUID }),
    metadata: { actor: { id: command.actor.id, roles: [...command.actor.roles] }, occurredAt: at, correlationId: randomUUID(), causationId: null },
    eventIds: () => randomUUID(),
  })
  lastPosition = result.position
  return result
}

async function settle() {
  if (!(await waitForProjections(s.db, s.runtime.eventStore, [DISCLOSURES_PROJECTION], lastPosition, { timeoutMs: 15_000 }))) {
    throw new Error('the disclosure projection did not catch up')
  }
}

const statement = (year: number): DisclosureDraft => ({
  kind: 'financial_statement',
  title: `${year} 年度物业费收支`,
  body: `Property fee income and spending for ${year}.`,
  period: { from: `${year}-01-01`, to: `${year}-12-31` },
  lineItems: [
    { category: 'fees', description: 'Property fees', amountFen: 120_000_000, direction: 'income' },
    { category: 'cleaning', description: 'Cleaning contract', amountFen: 35_000_050, direction: 'expense' },
  ],
})

// A published 2025 statement (commented, objected to, reviewed, corrected), a retracted notice and a draft.
const published = randomUUID()
await run(published, { type: 'draft', disclosureId: published, data: statement(2025), actor: manager }, '2026-02-01T01:00:00.000Z')
await run(published, { type: 'publish', data: {}, actor: manager }, '2026-02-02T01:00:00.000Z')
for (let i = 1; i <= 3; i++) {
  await run(published, { type: 'comment', data: { body: `Comment ${i}` }, actor: i === 2 ? committee : resident }, `2026-02-03T0${i}:00:00.000Z`)
}
await run(published, { type: 'object', data: { reason: 'Cleaning looks overcharged' }, actor: resident }, '2026-02-04T01:00:00.000Z')
await run(published, { type: 'committee_review', data: { decision: 'disputed', note: 'Invoice missing' }, actor: committee }, '2026-02-05T01:00:00.000Z')
await run(
  published,
  { type: 'correct', data: { content: { ...statement(2025), body: 'Corrected.' }, reason: 'Typo in the body' }, actor: manager },
  '2026-02-06T01:00:00.000Z',
)
const retracted = randomUUID()
const notice: DisclosureDraft = { kind: 'notice', title: 'Water cut', body: 'Saturday morning.' }
await run(retracted, { type: 'draft', disclosureId: retracted, data: notice, actor: manager }, '2026-02-07T01:00:00.000Z')
await run(retracted, { type: 'publish', data: {}, actor: manager }, '2026-02-07T02:00:00.000Z')
await run(retracted, { type: 'retract', data: { reason: 'Wrong day' }, actor: manager }, '2026-02-07T03:00:00.000Z')
const draft = randomUUID()
await run(draft, { type: 'draft', disclosureId: draft, data: statement(2026), actor: manager }, '2026-02-08T01:00:00.000Z')
await settle()

const ids = (res: { json(): { items: Array<{ id: string }> } }) => res.json().items.map((i) => i.id)
const paths = (res: { json(): { errors?: Array<{ path: string }> } }) => (res.json().errors ?? []).map((e) => e.path)

t.test('GET /v1/disclosures', async (t) => {
  t.test('residents see published and retracted disclosures, newest first; managers the draft too', async (t) => {
    const forResident = await s.get('/v1/disclosures', tokens.resident)
    t.equal(forResident.statusCode, 200)
    t.same(ids(forResident), [retracted, published])
    t.same(ids(await s.get('/v1/disclosures', tokens.manager)), [draft, retracted, published])
    t.match(forResident.headers['x-projection-position'], /^\d+$/)
  })

  t.test('filters by kind and status; a resident asking for drafts gets none', async (t) => {
    t.same(ids(await s.get('/v1/disclosures?kind=financial_statement', tokens.manager)), [draft, published])
    t.same(ids(await s.get('/v1/disclosures?status=retracted', tokens.resident)), [retracted])
    t.same(ids(await s.get('/v1/disclosures?status=draft', tokens.resident)), [])
    t.same(ids(await s.get('/v1/disclosures?status=draft', tokens.manager)), [draft])
  })

  t.test('a summary carries the current version, its hash, counts and the revision', async (t) => {
    const [item] = (await s.get('/v1/disclosures?kind=financial_statement&status=published', tokens.resident)).json().items
    t.match(item, {
      id: published,
      status: 'published',
      version: 2,
      contentHash: /^[0-9a-f]{64}$/,
      period: { from: '2025-01-01', to: '2025-12-31' },
      commentCount: 3,
      objectionCount: 1,
      draftedAt: '2026-02-01T01:00:00.000Z',
      publishedAt: '2026-02-02T01:00:00.000Z',
      retractedAt: null,
      revision: '7',
    })
  })

  t.test('pages with an opaque cursor', async (t) => {
    const first = await s.get('/v1/disclosures?limit=2', tokens.manager)
    t.same(ids(first), [draft, retracted])
    const next = await s.get(`/v1/disclosures?limit=2&cursor=${first.json().nextCursor}`, tokens.manager)
    t.same(ids(next), [published])
    t.equal(next.json().nextCursor, null)
  })

  t.test('bad parameters are a 400 naming them', async (t) => {
    t.same(paths(await s.get('/v1/disclosures?cursor=garbage', tokens.manager)), ['query.cursor'])
    t.same(paths(await s.get('/v1/disclosures?kind=gossip', tokens.manager)), ['query.kind'])
    t.same(paths(await s.get('/v1/disclosures?limit=0', tokens.manager)), ['query.limit'])
  })

  t.test('without a token: 401', async (t) => {
    t.equal((await s.app.inject({ method: 'GET', url: '/v1/disclosures' })).statusCode, 401)
  })
})

t.test('GET /v1/disclosures/:id', async (t) => {
  t.test('the current version, the version chain, counts, reviews and objections with their cases', async (t) => {
    const res = await s.get(`/v1/disclosures/${published}`, tokens.resident)
    t.equal(res.statusCode, 200)
    const d = res.json()
    t.equal(d.current.version, 2)
    t.equal(d.current.content.body, 'Corrected.')
    t.same(d.current.content.totals, { incomeFen: 120_000_000, expenseFen: 35_000_050, netFen: 84_999_950 })
    t.equal(d.current.reason, 'Typo in the body')
    t.equal(d.draft, null)
    t.equal(d.versions.length, 2)
    t.match(d.versions[0], { version: 1, previousHash: null, reason: null, publishedAt: '2026-02-02T01:00:00.000Z' })
    t.match(d.versions[1], { version: 2, previousHash: d.versions[0].contentHash, reason: 'Typo in the body' })
    t.equal(d.contentHash, d.versions[1].contentHash)
    t.same(d.reviews, [
      { reviewerId: 'committee-1', decision: 'disputed', note: 'Invoice missing', version: 1, contentHash: d.versions[0].contentHash, at: '2026-02-05T01:00:00.000Z' },
    ])
    t.equal(d.objections.length, 1)
    t.equal(d.objections[0].caseId, objectionCaseId(d.objections[0].objectionId), 'the case id derived from the objection')
    t.equal(d.retraction, null)
  })

  t.test('a retracted disclosure stays readable, marked retracted', async (t) => {
    const res = await s.get(`/v1/disclosures/${retracted}`, tokens.resident)
    t.equal(res.statusCode, 200)
    t.match(res.json(), { status: 'retracted', version: 1, retraction: { reason: 'Wrong day', at: '2026-02-07T03:00:00.000Z' } })
  })

  t.test('a draft is the managers’: 404 to everyone else', async (t) => {
    for (const token of [tokens.resident, tokens.committee, tokens.auditor]) {
      t.equal((await s.get(`/v1/disclosures/${draft}`, token)).statusCode, 404)
    }
    const res = await s.get(`/v1/disclosures/${draft}`, tokens.manager)
    t.equal(res.statusCode, 200)
    t.match(res.json(), { status: 'draft', version: null, current: null, versions: [], draft: statement(2026) })
  })

  t.test('an unknown id is a 404, a malformed one a 400', async (t) => {
    t.equal((await s.get(`/v1/disclosures/${randomUUID()}`, tokens.manager)).statusCode, 404)
    t.same(paths(await s.get('/v1/disclosures/nope', tokens.manager)), ['params.id'])
  })
})

t.test('GET /v1/disclosures/:id/versions/:v', async (t) => {
  const one = await s.get(`/v1/disclosures/${published}/versions/1`, tokens.resident)
  t.equal(one.statusCode, 200)
  t.same(Object.keys(one.json()).sort(), ['content', 'contentHash', 'publishedAt', 'retracted', 'version'])
  t.match(one.json(), { version: 1, retracted: false, content: { body: 'Property fee income and spending for 2025.' } })
  const two = await s.get(`/v1/disclosures/${published}/versions/2`, tokens.resident)
  t.match(two.json(), { version: 2, reason: 'Typo in the body', previousHash: one.json().contentHash })
  t.match((await s.get(`/v1/disclosures/${retracted}/versions/1`, tokens.resident)).json(), { retracted: true })
  t.equal((await s.get(`/v1/disclosures/${published}/versions/3`, tokens.resident)).statusCode, 404)
  t.equal((await s.get(`/v1/disclosures/${draft}/versions/1`, tokens.resident)).statusCode, 404)
  t.same(paths(await s.get(`/v1/disclosures/${published}/versions/0`, tokens.resident)), ['params.v'])
})

t.test('GET /v1/disclosures/:id/comments', async (t) => {
  const all = await s.get(`/v1/disclosures/${published}/comments`, tokens.resident)
  t.equal(all.statusCode, 200)
  t.same(all.json().items.map((c: { commentId: string; authorId: string }) => [c.commentId, c.authorId]), [
    ['comment-1', 'resident-1'],
    ['comment-2', 'committee-1'],
    ['comment-3', 'resident-1'],
  ])
  const page = await s.get(`/v1/disclosures/${published}/comments?limit=2`, tokens.resident)
  t.equal(page.json().items.length, 2)
  const rest = await s.get(`/v1/disclosures/${published}/comments?limit=2&cursor=${page.json().nextCursor}`, tokens.resident)
  t.same(rest.json().items.map((c: { commentId: string }) => c.commentId), ['comment-3'])
  t.equal(rest.json().nextCursor, null)
  t.equal((await s.get(`/v1/disclosures/${draft}/comments`, tokens.resident)).statusCode, 404)
  t.same(paths(await s.get(`/v1/disclosures/${published}/comments?cursor=x`, tokens.resident)), ['query.cursor'])
})

t.test('GET /v1/disclosures/:id/events', async (t) => {
  const res = await s.get(`/v1/disclosures/${published}/events`, tokens.auditor)
  t.equal(res.statusCode, 200)
  const { disclosureId, events, nextRevision } = res.json()
  t.equal(disclosureId, published)
  t.equal(nextRevision, null)
  t.same(events.map((e: { revision: string }) => e.revision), ['0', '1', '2', '3', '4', '5', '6', '7'])
  t.match(events[1], { type: 'DisclosurePublished', schemaVersion: 1, metadata: { hash: /^[0-9a-f]{64}$/, prevHash: events[0].metadata.hash } })
  t.equal((await s.get(`/v1/disclosures/${published}/events`, tokens.committee)).statusCode, 200)
  t.equal((await s.get(`/v1/disclosures/${published}/events?from=6&limit=1`, tokens.manager)).json().nextRevision, '7')
  t.equal((await s.get(`/v1/disclosures/${published}/events`, tokens.resident)).statusCode, 403)
  t.equal((await s.get(`/v1/disclosures/${draft}/events`, tokens.committee)).statusCode, 404, 'a committee member does not see a draft')
  t.equal((await s.get(`/v1/disclosures/${draft}/events`, tokens.auditor)).statusCode, 200, 'an auditor replays everything')
  t.equal((await s.get(`/v1/disclosures/${randomUUID()}/events`, tokens.auditor)).statusCode, 404)
})

t.test('GET /v1/disclosures/schedule', async (t) => {
  // Default schedule: public revenue every quarter (due within 30 days), the financial statement every year (90).
  const due = await s.get('/v1/disclosures/schedule?asOf=2026-04-15', tokens.resident)
  t.equal(due.statusCode, 200)
  t.same(due.json(), {
    asOf: '2026-04-15',
    items: [
      { scheduleId: 'public_revenue-quarter', kind: 'public_revenue', every: 'quarter', period: { from: '2026-01-01', to: '2026-03-31' }, dueBy: '2026-04-30', status: 'due', disclosures: [] },
    ],
  })
  const disclosed = await s.get('/v1/disclosures/schedule?asOf=2026-04-15&status=disclosed', tokens.committee)
  t.match(disclosed.json().items, [
    { scheduleId: 'financial_statement-year', period: { from: '2025-01-01', to: '2025-12-31' }, dueBy: '2026-03-31', disclosures: [{ id: published, late: false }] },
  ])
  const overdue = await s.get('/v1/disclosures/schedule?asOf=2026-05-01', tokens.manager)
  t.match(overdue.json().items, [{ scheduleId: 'public_revenue-quarter', status: 'overdue', dueBy: '2026-04-30' }])
  // Without asOf: today on the query API's clock (2026-03-10), when the last quarter (Q4 2025) is overdue.
  t.match((await s.get('/v1/disclosures/schedule', tokens.manager)).json(), {
    asOf: '2026-03-10',
    items: [{ period: { from: '2025-10-01', to: '2025-12-31' }, status: 'overdue' }],
  })
  t.same(paths(await s.get('/v1/disclosures/schedule?asOf=2026-13-01', tokens.manager)), ['query.asOf'])
  t.same(paths(await s.get('/v1/disclosures/schedule?status=late', tokens.manager)), ['query.status'])
})

t.test('waitFor waits for the disclosure projection', async (t) => {
  const id = randomUUID()
  const { position } = await run(id, { type: 'draft', disclosureId: id, data: statement(2027), actor: manager }, '2026-02-09T01:00:00.000Z')
  const res = await s.get(`/v1/disclosures/${id}?waitFor=${position}`, tokens.manager)
  t.equal(res.statusCode, 200)
  t.equal(res.headers['x-projection-stale'], undefined)
  t.ok(BigInt(res.headers['x-projection-position'] as string) >= position)
})

t.test('a rebuild of the disclosure read models answers the same', async (t) => {
  const urls = [
    '/v1/disclosures',
    `/v1/disclosures/${published}`,
    `/v1/disclosures/${published}/versions/1`,
    `/v1/disclosures/${published}/comments`,
    `/v1/disclosures/${retracted}`,
    `/v1/disclosures/${draft}`,
  ]
  const before = await Promise.all(urls.map(async (url) => (await s.get(url, tokens.manager)).json()))
  await runner.stop()
  const [result] = await rebuildProjections({ db: s.db, store: s.runtime.eventStore, projections: [disclosureProjection] })
  t.ok(result, 'rebuilt')
  const after = await Promise.all(urls.map(async (url) => (await s.get(url, tokens.manager)).json()))
  t.same(after, before)
})
