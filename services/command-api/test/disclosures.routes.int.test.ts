import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig, openRuntime, signToken, type HttpServer, type Role, type Runtime } from '@pc/platform'
import { testDatabase } from '@pc/postgres/testing'
import t, { type Test } from 'tap'
import { buildServer } from '../src/server.js'

/**
 * The disclosure command routes (issue 6) over HTTP on a real database: for every route a success, a bad body
 * (400 naming the field) and a caller whose role does not allow it (403, or 404 where the disclosure is a draft they
 * may not know of); then the money and date rules, which are 400 (shape) or 422 (rule, named).
 */

const SECRET = 'disclosure-routes-secret-long-enough-for-hs256'
const DAY_MS = 86_400_000

const callers = {
  manager: { sub: 'manager-1', roles: ['manager'] },
  resident: { sub: 'resident-1', roles: ['resident'], units: ['3-1-201'] },
  committee: { sub: 'committee-1', roles: ['committee'] },
  staff: { sub: 'staff-1', roles: ['staff'] },
} satisfies Record<string, { sub: string; roles: Role[]; units?: string[] }>
type Caller = keyof typeof callers

interface Api {
  app: HttpServer
  runtime: Runtime
  post(path: string, body: unknown, as: Caller, headers?: Record<string, string>): Promise<Awaited<ReturnType<HttpServer['inject']>>>
  events(id: string): Promise<Array<{ type: string; data: Record<string, unknown>; metadata: { actor: { id: string } } }>>
}

async function api(t: Test, env: Record<string, string> = {}): Promise<Api> {
  const database = await testDatabase(t)
  const dataDir = await mkdtemp(join(tmpdir(), 'pc-disclosure-routes-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const config = loadConfig({ DATABASE_URL: database.url, DATA_DIR: dataDir, JWT_SECRET: SECRET, LOG_LEVEL: 'silent', ...env })
  const runtime = await openRuntime(config)
  t.teardown(() => runtime.close())
  const app = await buildServer(config, runtime)
  t.teardown(() => app.close())
  const tokens = new Map<Caller, string>()
  return {
    app,
    runtime,
    async post(path, body, as, headers = {}) {
      if (!tokens.has(as)) tokens.set(as, await signToken(SECRET, callers[as]))
      return app.inject({
        method: 'POST',
        url: `/v1${path}`,
        headers: { authorization: `Bearer ${tokens.get(as)}`, ...headers },
        payload: body as object,
      })
    },
    async events(id) {
      const out = []
      for await (const event of runtime.eventStore.readStream(`disclosure-${id}`)) out.push(event)
      return out as never
    },
  }
}

const statement = () => ({
  kind: 'financial_statement',
  title: '2025 年度物业费收支',
  body: 'Property fee income and spending for 2025.',
  period: { from: '2025-01-01', to: '2025-12-31' },
  lineItems: [
    { category: 'fees', description: 'Property fees collected', amountFen: 120_000_000, direction: 'income' },
    { category: 'cleaning', description: 'Cleaning contract', amountFen: 35_000_050, direction: 'expense' },
  ],
})

const lineItem = (amountFen: unknown) => ({ category: 'fees', description: 'Fees', amountFen, direction: 'income' })

/** Drafts (and, with `publish`, publishes) a statement; returns its id. */
async function disclosure(a: Api, publish: boolean): Promise<string> {
  const drafted = await a.post('/disclosures', statement(), 'manager')
  if (drafted.statusCode !== 201) throw new Error(drafted.body)
  const { id } = drafted.json()
  if (publish) {
    const published = await a.post(`/disclosures/${id}/publish`, {}, 'manager')
    if (published.statusCode !== 200) throw new Error(published.body)
  }
  return id
}

function paths(res: { json(): { errors?: Array<{ path: string }> } }): string[] {
  return (res.json().errors ?? []).map((e) => e.path)
}

// One server and database for the route tests (each makes its own disclosures); only the configuration test
// starts another.
const a = await api(t)

t.test('POST /v1/disclosures', async (t) => {
  t.test('a manager drafts: 201 with the new id, revision 0 and the position', async (t) => {
    const res = await a.post('/disclosures', statement(), 'manager')
    t.equal(res.statusCode, 201, res.body)
    const { id, revision, position } = res.json()
    t.match(id, /^[0-9a-f-]{36}$/)
    t.equal(revision, '0')
    t.match(position, /^\d+$/)
    const [event] = await a.events(id)
    t.equal(event?.type, 'DisclosureDrafted')
    t.equal(event?.metadata.actor.id, 'manager-1')
    t.same((event?.data as { draft: unknown }).draft, statement())
  })

  t.test('residents, committee members and staff may not draft: 403', async (t) => {
    for (const as of ['resident', 'committee', 'staff'] as const) {
      const res = await a.post('/disclosures', statement(), as)
      t.equal(res.statusCode, 403, as)
      t.equal(res.json().code, 'FORBIDDEN', as)
    }
  })

  t.test('without a token: 401', async (t) => {
    const res = await a.app.inject({ method: 'POST', url: '/v1/disclosures', payload: statement() })
    t.equal(res.statusCode, 401)
  })

  t.test('a float amount is a 400 naming the line item', async (t) => {
    const res = await a.post('/disclosures', { ...statement(), lineItems: [lineItem(100.5)] }, 'manager')
    t.equal(res.statusCode, 400)
    t.equal(res.json().code, 'VALIDATION_FAILED')
    t.same(paths(res), ['lineItems.0.amountFen'])
  })

  t.test('a negative, a too large or a string amount is a 400 naming the field', async (t) => {
    for (const amount of [-1, 10_000_000_000_001, '100', 1e21]) {
      const res = await a.post('/disclosures', { ...statement(), lineItems: [lineItem(0), lineItem(amount)] }, 'manager')
      t.equal(res.statusCode, 400, String(amount))
      t.same([...new Set(paths(res))], ['lineItems.1.amountFen'], String(amount))
    }
  })

  t.test('exactly 10^13 fen is accepted and stored exactly', async (t) => {
    const res = await a.post('/disclosures', { ...statement(), lineItems: [lineItem(10_000_000_000_000)] }, 'manager')
    t.equal(res.statusCode, 201, res.body)
    const [event] = await a.events(res.json().id)
    t.equal((event?.data as { draft: { lineItems: Array<{ amountFen: number }> } }).draft.lineItems[0]!.amountFen, 10_000_000_000_000)
  })

  t.test('a period that ends before it starts is a 400 on period.to', async (t) => {
    const res = await a.post('/disclosures', { ...statement(), period: { from: '2025-12-31', to: '2025-01-01' } }, 'manager')
    t.equal(res.statusCode, 400)
    t.same(paths(res), ['period.to'])
    t.match(res.json().errors[0].message, /ends before it starts/)
  })

  t.test('an unknown kind, an unknown key or a missing title is a 400 naming each', async (t) => {
    const { title: _title, ...untitled } = statement()
    const res = await a.post('/disclosures', { ...untitled, kind: 'gossip', colour: 'red' }, 'manager')
    t.equal(res.statusCode, 400)
    t.ok(paths(res).includes('kind') && paths(res).includes('title'), 'kind and title are named')
    t.match(JSON.stringify(res.json().errors), /colour/, 'the unknown key is named')
  })

  t.test('a money statement without a period or line items is a 422 naming the rule and field', async (t) => {
    const { period: _period, ...noPeriod } = statement()
    const res = await a.post('/disclosures', noPeriod, 'manager')
    t.equal(res.statusCode, 422)
    t.match(res.json(), { code: 'RULE_VIOLATED', rule: 'PERIOD_REQUIRED', errors: [{ path: 'period' }] })
    const empty = await a.post('/disclosures', { ...statement(), kind: 'public_revenue', lineItems: [] }, 'manager')
    t.match(empty.json(), { code: 'RULE_VIOLATED', rule: 'LINE_ITEMS_REQUIRED', errors: [{ path: 'lineItems' }] })
  })

  t.test('a major matter with too short a notice is a 422 ADVANCE_NOTICE_TOO_SHORT on effectiveAt', async (t) => {
    const matter = { kind: 'major_matter', title: 'Lift replacement', body: 'From the maintenance fund.' }
    const short = await a.post('/disclosures', { ...matter, effectiveAt: new Date(Date.now() + 6 * DAY_MS).toISOString() }, 'manager')
    t.equal(short.statusCode, 422)
    t.match(short.json(), { rule: 'ADVANCE_NOTICE_TOO_SHORT', errors: [{ path: 'effectiveAt' }], detail: /at least 7 days/ })
    const enough = await a.post('/disclosures', { ...matter, effectiveAt: new Date(Date.now() + 8 * DAY_MS).toISOString() }, 'manager')
    t.equal(enough.statusCode, 201, enough.body)
    const late = await a.post(
      '/disclosures',
      { ...matter, effectiveAt: new Date(Date.now() + 8 * DAY_MS).toISOString(), commentPeriodEndsAt: new Date(Date.now() + 9 * DAY_MS).toISOString() },
      'manager',
    )
    t.match(late.json(), { rule: 'COMMENT_PERIOD_AFTER_EFFECTIVE_AT', errors: [{ path: 'commentPeriodEndsAt' }] })
  })
})

t.test('DISCLOSURE_ADVANCE_NOTICE_DAYS sets the notice a major matter needs', async (t) => {
  const a = await api(t, { DISCLOSURE_ADVANCE_NOTICE_DAYS: '14' })
  const matter = { kind: 'major_matter', title: 'Lift replacement', body: 'From the maintenance fund.' }
  const ten = await a.post('/disclosures', { ...matter, effectiveAt: new Date(Date.now() + 10 * DAY_MS).toISOString() }, 'manager')
  t.equal(ten.statusCode, 422)
  t.match(ten.json(), { rule: 'ADVANCE_NOTICE_TOO_SHORT', detail: /at least 14 days/ })
  const fifteen = await a.post('/disclosures', { ...matter, effectiveAt: new Date(Date.now() + 15 * DAY_MS).toISOString() }, 'manager')
  t.equal(fifteen.statusCode, 201, fifteen.body)
})

t.test('POST /v1/disclosures/:id/revise', async (t) => {
  const id = await disclosure(a, false)
  const res = await a.post(`/disclosures/${id}/revise`, { ...statement(), title: 'Revised' }, 'manager')
  t.equal(res.statusCode, 200, res.body)
  t.same(res.json(), { id, revision: '1', position: res.json().position })
  t.equal((await a.events(id))[1]?.type, 'DisclosureRevised')

  const bad = await a.post(`/disclosures/${id}/revise`, { ...statement(), lineItems: [lineItem(-5)] }, 'manager')
  t.equal(bad.statusCode, 400)
  t.same(paths(bad), ['lineItems.0.amountFen'])

  // Only managers ever revise: anyone else is refused on their role, before the body or the disclosure is looked
  // at, so the answer is the same for a draft, for no disclosure at all, and for a body of the wrong shape.
  for (const as of ['resident', 'committee', 'staff'] as const) {
    for (const [target, body] of [[id, statement()], [randomUUID(), statement()], [id, { title: 7 }]] as const) {
      const refused = await a.post(`/disclosures/${target}/revise`, body, as)
      t.equal(refused.statusCode, 403, `a ${as} is refused`)
    }
  }
  t.equal((await a.post(`/disclosures/${randomUUID()}/revise`, statement(), 'manager')).statusCode, 404, 'no such disclosure')
  t.same(paths(await a.post('/disclosures/not-a-uuid/revise', statement(), 'manager')), ['params.id'])

  await a.post(`/disclosures/${id}/publish`, {}, 'manager')
  const published = await a.post(`/disclosures/${id}/revise`, statement(), 'manager')
  t.equal(published.statusCode, 422)
  t.match(published.json(), { rule: 'INVALID_TRANSITION' })
})

t.test('POST /v1/disclosures/:id/publish', async (t) => {
  const id = await disclosure(a, false)
  t.equal((await a.post(`/disclosures/${id}/publish`, {}, 'resident')).statusCode, 403, 'a resident never publishes (nor learns of the draft)')
  const extra = await a.post(`/disclosures/${id}/publish`, { version: 1 }, 'manager')
  t.equal(extra.statusCode, 400)
  t.same(paths(extra), ['version'])
  const stale = await a.post(`/disclosures/${id}/publish`, {}, 'manager', { 'if-match': '"7"' })
  t.equal(stale.statusCode, 409)

  const res = await a.post(`/disclosures/${id}/publish`, {}, 'manager', { 'if-match': '"0"' })
  t.equal(res.statusCode, 200, res.body)
  const published = (await a.events(id))[1]!
  t.equal(published.type, 'DisclosurePublished')
  t.match(published.data, { version: 1, contentHash: /^[0-9a-f]{64}$/, content: { totals: { incomeFen: 120_000_000, expenseFen: 35_000_050, netFen: 84_999_950 } } })
  t.equal((await a.post(`/disclosures/${id}/publish`, {}, 'resident')).statusCode, 403, 'published, so visible: forbidden')
  t.match((await a.post(`/disclosures/${id}/publish`, {}, 'manager')).json(), { rule: 'INVALID_TRANSITION' })
})

t.test('POST /v1/disclosures/:id/corrections', async (t) => {
  const id = await disclosure(a, true)
  const content = { ...statement(), lineItems: [...statement().lineItems, lineItem(500)] }
  const res = await a.post(`/disclosures/${id}/corrections`, { content, reason: 'Interest income was missing' }, 'manager')
  t.equal(res.statusCode, 200, res.body)
  const [, published, corrected] = await a.events(id)
  t.equal(corrected?.type, 'DisclosureCorrected')
  t.match(corrected?.data, { version: 2, previousHash: (published?.data as { contentHash: string }).contentHash, reason: 'Interest income was missing' })

  const float = await a.post(`/disclosures/${id}/corrections`, { content: { ...content, lineItems: [lineItem(0.1)] }, reason: 'x' }, 'manager')
  t.equal(float.statusCode, 400)
  t.same(paths(float), ['content.lineItems.0.amountFen'])
  const noReason = await a.post(`/disclosures/${id}/corrections`, { content }, 'manager')
  t.same(paths(noReason), ['reason'])
  t.equal((await a.post(`/disclosures/${id}/corrections`, { content, reason: 'x' }, 'resident')).statusCode, 403)
  t.equal((await a.post(`/disclosures/${id}/corrections`, { content, reason: 'x' }, 'committee')).statusCode, 403)
  const unchanged = await a.post(`/disclosures/${id}/corrections`, { content, reason: 'again' }, 'manager')
  t.match(unchanged.json(), { rule: 'CORRECTION_UNCHANGED' })
})

t.test('POST /v1/disclosures/:id/comments', async (t) => {
  const draft = await disclosure(a, false)
  t.equal((await a.post(`/disclosures/${draft}/comments`, { body: 'Hello' }, 'resident')).statusCode, 404, 'no comments on a draft one cannot see')
  const id = await disclosure(a, true)
  const resident = await a.post(`/disclosures/${id}/comments`, { body: 'Why did cleaning cost more?' }, 'resident')
  t.equal(resident.statusCode, 200, resident.body)
  const committee = await a.post(`/disclosures/${id}/comments`, { body: 'We will ask.' }, 'committee')
  t.equal(committee.statusCode, 200, committee.body)
  const comments = (await a.events(id)).filter((e) => e.type === 'DisclosureCommented')
  t.same(comments.map((e) => [e.data['commentId'], e.data['authorId']]), [['comment-1', 'resident-1'], ['comment-2', 'committee-1']])
  t.same(paths(await a.post(`/disclosures/${id}/comments`, { body: '   ' }, 'resident')), ['body'])
  t.equal((await a.post(`/disclosures/${id}/comments`, { body: 'Noted' }, 'manager')).statusCode, 403)
})

t.test('POST /v1/disclosures/:id/objections', async (t) => {
  const id = await disclosure(a, true)
  const key = { 'idempotency-key': 'objection-1' }
  const first = await a.post(`/disclosures/${id}/objections`, { reason: 'Cleaning is overcharged' }, 'resident', key)
  t.equal(first.statusCode, 200, first.body)
  const retry = await a.post(`/disclosures/${id}/objections`, { reason: 'Cleaning is overcharged' }, 'resident', key)
  t.same(retry.json(), first.json(), 'a retried objection answers the same')
  const objections = (await a.events(id)).filter((e) => e.type === 'DisclosureObjected')
  t.equal(objections.length, 1, 'and records one objection, so one case')
  t.match(objections[0]!.data, { objectorId: 'resident-1', objectorUnits: ['3-1-201'], disclosureKind: 'financial_statement', version: 1 })

  t.same(paths(await a.post(`/disclosures/${id}/objections`, {}, 'resident')), ['reason'])
  for (const as of ['committee', 'manager'] as const) {
    t.equal((await a.post(`/disclosures/${id}/objections`, { reason: 'x' }, as)).statusCode, 403, as)
  }
})

t.test('POST /v1/disclosures/:id/committee-review', async (t) => {
  const id = await disclosure(a, true)
  const res = await a.post(`/disclosures/${id}/committee-review`, { decision: 'disputed', note: 'Cleaning invoice missing' }, 'committee')
  t.equal(res.statusCode, 200, res.body)
  const [, published, review] = await a.events(id)
  t.match(review?.data, { reviewerId: 'committee-1', decision: 'disputed', version: 1, contentHash: (published?.data as { contentHash: string }).contentHash })
  t.same(paths(await a.post(`/disclosures/${id}/committee-review`, { decision: 'approved', note: 'x' }, 'committee')), ['decision'])
  for (const as of ['resident', 'manager'] as const) {
    t.equal((await a.post(`/disclosures/${id}/committee-review`, { decision: 'acknowledged', note: 'x' }, as)).statusCode, 403, as)
  }
})

t.test('POST /v1/disclosures/:id/retract', async (t) => {
  const id = await disclosure(a, true)
  t.same(paths(await a.post(`/disclosures/${id}/retract`, {}, 'manager')), ['reason'])
  t.equal((await a.post(`/disclosures/${id}/retract`, { reason: 'x' }, 'resident')).statusCode, 403)
  const res = await a.post(`/disclosures/${id}/retract`, { reason: 'Published for the wrong estate' }, 'manager')
  t.equal(res.statusCode, 200, res.body)
  t.equal((await a.events(id)).at(-1)?.type, 'DisclosureRetracted')
  t.match((await a.post(`/disclosures/${id}/retract`, { reason: 'again' }, 'manager')).json(), { rule: 'INVALID_TRANSITION' })
  t.match((await a.post(`/disclosures/${id}/comments`, { body: 'late' }, 'resident')).json(), { rule: 'INVALID_TRANSITION' }, 'a retracted disclosure takes no comments')
})
