import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { buildServer as buildCommandApi } from '@pc/command-api'
import { buildServer as buildQueryApi } from '@pc/query-api'
import { OBJECTION_CASE_REACTOR, objectionCaseReactor } from '@pc/contexts'
import { startProjector } from '@pc/projector'
import { loadConfig, openRuntime, signToken, type Role } from '@pc/platform'
import { testDatabase } from '@pc/postgres/testing'
import { ProjectionRunner, createReadModelDatabase, waitForProjections } from '@pc/read-models'
import { createPropertyCasesClient } from '@pc/client'
import { injectFetch } from './support/inject-fetch.js'

/**
 * Disclosures end to end over HTTP (issue 6): both APIs and the projector (read models and the objection → case
 * reactor) on one real PostgreSQL, as `pnpm start` runs them, spoken to through the typed client generated from the
 * OpenAPI document (`@pc/client`). The content hashes are recomputed here with this
 * file's own RFC 8785 canonicalisation and node's SHA-256 — nothing of `@pc/ledger` — from the bytes the query API
 * answered.
 */

const SECRET = 'disclosures-e2e-secret-long-enough-for-hs256'

/**
 * RFC 8785 (JCS), written out independently: object members sorted by their UTF-16 code units (the default
 * `Array.prototype.sort` order on strings), no whitespace, strings and numbers serialised as ECMAScript's
 * `JSON.stringify` does (RFC 8785 §3.2.2 defines them by reference to it).
 */
function jcs(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(jcs).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const members = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${jcs((value as Record<string, unknown>)[key])}`)
    return `{${members.join(',')}}`
  }
  if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('not a JSON number')
  return JSON.stringify(value)
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex')

async function setup(t: Test) {
  const database = await testDatabase(t)
  const dataDir = await mkdtemp(join(tmpdir(), 'pc-disclosures-e2e-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const config = loadConfig({ DATABASE_URL: database.url, DATA_DIR: dataDir, JWT_SECRET: SECRET, LOG_LEVEL: 'silent' })
  const runtime = await openRuntime(config)
  t.teardown(() => runtime.close())
  const commands = await buildCommandApi(config, runtime)
  t.teardown(() => commands.close())
  const queries = await buildQueryApi(config, runtime)
  t.teardown(() => queries.close())
  const projector = await startProjector(runtime, { leasePollMs: 50, retryDelayMs: 50, sla: false })
  t.teardown(() => projector.stop())

  const tokens = new Map<string, string>()
  const token = async (sub: string, roles: Role[], units?: string[]) => {
    const key = `${sub}:${roles.join()}`
    if (!tokens.has(key)) tokens.set(key, await signToken(SECRET, { sub, roles, ...(units && { units }) }))
    return tokens.get(key)!
  }
  const as = {
    manager: () => token('manager-1', ['manager']),
    resident: () => token('resident-7', ['resident'], ['3-1-502']),
    committee: () => token('committee-2', ['committee']),
    auditor: () => token('auditor-1', ['auditor']),
  }
  // Commands to the command API, queries to the query API, as a load balancer in front of both would route them.
  const toCommands = injectFetch(commands)
  const toQueries = injectFetch(queries)
  const fetch = (request: Request) => (request.method === 'GET' ? toQueries : toCommands)(request)
  const client = async (auth: Promise<string>) => createPropertyCasesClient({ baseUrl: 'http://stack.test', token: await auth, fetch })
  return { runtime, projector, as, client }
}

t.test('draft → revise → publish → comment → objection (one case) → correction → committee review → retract', async (t) => {
  const { runtime, projector, as, client } = await setup(t)
  const manager = await client(as.manager())
  const resident = await client(as.resident())
  const committee = await client(as.committee())
  const auditor = await client(as.auditor())
  const statement = {
    kind: 'public_revenue' as const,
    title: '2026 年第一季度公共收益',
    body: 'Income from common parts, first quarter.',
    period: { from: '2026-01-01', to: '2026-03-31' },
    lineItems: [
      { category: '广告', description: 'Lift advertising', amountFen: 1_250_000, direction: 'income' as const },
      { category: 'parking', description: 'Visitor parking', amountFen: 10_000_000_000_000, direction: 'income' as const },
      { category: 'fees', description: 'Collection agent’s fee', amountFen: 99_999, direction: 'expense' as const },
    ],
    attachments: [{ name: 'bank-statement.pdf', sha256: 'ab'.repeat(32), sizeBytes: 48_213 }],
  }

  /** A command's answer, its status checked. */
  const accepted = async <Data>(status: number, call: Promise<{ data?: Data; error?: unknown; response: Response }>): Promise<Data> => {
    const { data, error, response } = await call
    t.equal(response.status, status, JSON.stringify(error ?? ''))
    return data!
  }
  const drafted = await accepted(201, manager.POST('/v1/disclosures', { body: { ...statement, title: 'draft title' } }))
  const { id } = drafted
  const path = { path: { id } }
  const revised = await accepted(200, manager.POST('/v1/disclosures/{id}/revise', { params: path, body: statement }))
  t.equal(revised.revision, '1')

  // A draft is the managers' alone.
  const hidden = await resident.GET('/v1/disclosures/{id}', { params: { ...path, query: { waitFor: revised.position } } })
  t.equal(hidden.response.status, 404)
  t.equal(hidden.error?.code, 'NOT_FOUND')
  const draftView = await manager.GET('/v1/disclosures/{id}', { params: path })
  t.match(draftView.data, { status: 'draft', title: statement.title, version: null, draft: { title: statement.title } })
  t.equal(draftView.response.headers.get('etag'), '"1"', 'the revision to send as If-Match')

  await accepted(200, manager.POST('/v1/disclosures/{id}/publish', { params: path, body: {} }))
  await accepted(200, resident.POST('/v1/disclosures/{id}/comments', { params: path, body: { body: 'Why is parking so high?' } }))
  const objection = await accepted(
    200,
    resident.POST('/v1/disclosures/{id}/objections', { params: path, body: { reason: 'Parking income looks wrong by a factor of a million' } }),
  )

  // The objection opens one complaint case, linked to the disclosure.
  const afterObjection = await committee.GET('/v1/disclosures/{id}', { params: { ...path, query: { waitFor: objection.position } } })
  t.equal(afterObjection.response.status, 200)
  t.match(afterObjection.data, { status: 'published', version: 1, commentCount: 1, objectionCount: 1 })
  const caseId = afterObjection.data!.objections[0]!.caseId
  const caseEvents = async () => {
    const events = []
    for await (const event of runtime.eventStore.readStream(`case-${caseId}`)) events.push(event)
    return events
  }
  t.ok(await eventually(async () => (await caseEvents()).length > 0), 'the reactor opened the case')

  // Run the reactor again, from the very start of the log: a checkpoint lost after the case was appended.
  await projector.stop()
  const db = createReadModelDatabase({ connectionString: runtime.databaseUrl, max: 4 })
  t.teardown(() => db.destroy())
  await db.deleteFrom('projection_checkpoints').where('name', '=', OBJECTION_CASE_REACTOR).execute()
  const again = new ProjectionRunner({
    db,
    store: runtime.eventStore,
    connectionString: runtime.databaseUrl,
    projections: [objectionCaseReactor({ store: runtime.eventStore })],
    leasePollMs: 50,
  })
  again.start()
  t.ok(await waitForProjections(db, runtime.eventStore, [OBJECTION_CASE_REACTOR], BigInt(objection.position), { timeoutMs: 15_000 }))
  await again.stop()
  const reported = await caseEvents()
  t.same(reported.map((e) => e.type), ['CaseReported'], 'one case, reported once, after the reactor ran twice')
  t.match(reported[0]!.data, {
    caseId,
    kind: 'complaint',
    category: 'disclosure',
    reporterId: 'resident-7',
    description: new RegExp(`Disclosure ${id} \\(public_revenue\\), version 1`),
  })
  t.equal(reported[0]!.metadata.causationId, (await disclosureEvent(runtime, id, 'DisclosureObjected')).eventId, 'caused by the objection')

  // The rest with the projector running again (the reactor included: it must not report the case a third time).
  const restarted = await startProjector(runtime, { leasePollMs: 50, retryDelayMs: 50, sla: false })
  t.teardown(() => restarted.stop())

  const correctedContent = {
    ...statement,
    lineItems: statement.lineItems.map((item, i) => (i === 1 ? { ...item, amountFen: 10_000_000 } : item)),
  }
  await accepted(
    200,
    manager.POST('/v1/disclosures/{id}/corrections', { params: path, body: { content: correctedContent, reason: 'Parking income was entered in fen × 10^6' } }),
  )
  await accepted(
    200,
    committee.POST('/v1/disclosures/{id}/committee-review', { params: path, body: { decision: 'acknowledged', note: 'Checked against the bank statement' } }),
  )
  const retracted = await accepted(200, manager.POST('/v1/disclosures/{id}/retract', { params: path, body: { reason: 'Superseded by the audited statement' } }))

  const detail = await resident.GET('/v1/disclosures/{id}', { params: { ...path, query: { waitFor: retracted.position } } })
  t.equal(detail.response.status, 200)
  const d = detail.data!
  t.match(d, {
    status: 'retracted',
    version: 2,
    commentCount: 1,
    objectionCount: 1,
    retraction: { reason: 'Superseded by the audited statement' },
    reviews: [{ reviewerId: 'committee-2', decision: 'acknowledged', version: 2 }],
  })
  t.equal(d.versions.length, 2)
  t.equal(d.versions[1]!.reason, 'Parking income was entered in fen × 10^6')

  // Both versions stay readable; each hash recomputes from the returned bytes, independently.
  // `parseAs: 'text'`: the bytes as sent (openapi-fetch still types the body as the JSON it would have parsed).
  const version = async (v: number) => {
    const { data, response } = await resident.GET('/v1/disclosures/{id}/versions/{v}', { params: { path: { id, v } }, parseAs: 'text' })
    t.equal(response.status, 200, `version ${v}`)
    return data as unknown as string
  }
  const v1 = await version(1)
  const v2 = await version(2)
  const one = JSON.parse(v1)
  const two = JSON.parse(v2)
  t.equal(sha256(jcs(one.content)), one.contentHash, 'version 1 hash recomputes')
  t.equal(sha256(jcs(two.content)), two.contentHash, 'version 2 hash recomputes')
  t.not(one.contentHash, two.contentHash)
  t.equal(two.previousHash, one.contentHash, 'version 2 records version 1’s hash')
  t.equal(two.reason, 'Parking income was entered in fen × 10^6')
  t.notOk('reason' in one, 'version 1 has no reason')
  t.equal(one.retracted, true)
  t.equal(d.reviews[0]!.contentHash, two.contentHash, 'the review names the version it reviewed by hash')
  t.same(d.versions.map((v) => v.contentHash), [one.contentHash, two.contentHash])

  // Money: integer fen, exact at 10^13, totals computed by the system.
  t.equal(one.content.lineItems[1].amountFen, 10_000_000_000_000)
  t.same(one.content.totals, { incomeFen: 10_000_001_250_000, expenseFen: 99_999, netFen: 10_000_001_150_001 })
  t.same(two.content.totals, { incomeFen: 11_250_000, expenseFen: 99_999, netFen: 11_150_001 })
  t.match(v1, /"amountFen":10000000000000[,}]/, 'written as a plain JSON integer')

  // Comments, the raw events (auditor) and the case through the case queries.
  const comments = await resident.GET('/v1/disclosures/{id}/comments', { params: path })
  t.match(comments.data, { items: [{ commentId: 'comment-1', authorId: 'resident-7', body: 'Why is parking so high?', version: 1 }] })
  const events = await auditor.GET('/v1/disclosures/{id}/events', { params: path })
  t.equal(events.response.status, 200)
  t.same(
    events.data!.events.map((e) => e.type),
    ['DisclosureDrafted', 'DisclosureRevised', 'DisclosurePublished', 'DisclosureCommented', 'DisclosureObjected', 'DisclosureCorrected', 'CommitteeReviewRecorded', 'DisclosureRetracted'],
  )
  t.equal(events.data!.events[2]!.data.contentHash, one.contentHash, 'the stored event holds the hash the API answers')
  const listed = await resident.GET('/v1/disclosures', { params: { query: { kind: 'public_revenue' } } })
  t.same(listed.data!.items.map((i) => i.id), [id])

  const theCase = await manager.GET('/v1/cases/{id}', { params: { path: { id: caseId } } })
  t.equal(theCase.response.status, 200, JSON.stringify(theCase.error ?? ''))
  t.match(theCase.data, { id: caseId, category: 'disclosure', kind: 'complaint', reporterId: 'resident-7' })
  t.same((await caseEvents()).map((e) => e.type), ['CaseReported'], 'still one report after the projector restarted')
})

async function disclosureEvent(runtime: { eventStore: { readStream(id: string): AsyncIterable<{ type: string; eventId: string }> } }, id: string, type: string) {
  for await (const event of runtime.eventStore.readStream(`disclosure-${id}`)) if (event.type === type) return event
  throw new Error(`no ${type}`)
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return check()
}
