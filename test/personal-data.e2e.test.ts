import t, { type Test } from 'tap'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { buildStack, runCli } from '@pc/cli'
import { verifyInclusion } from '@pc/ledger'
import { createLogger, loadConfig, openRuntime, signToken, type Role } from '@pc/platform'
import { testDatabase } from '@pc/postgres/testing'
import { loadProjectorConfig, projectorOptions } from '@pc/projector'
import { startStandin } from './esdb-standin/standin.js'
import { httpClient, type Answer } from './support/closed-loop.js'

/**
 * Personal data end to end (issue 15, DESIGN §7), on the whole stack as `pnpm start` builds it (PostgreSQL, every
 * read model, the ledger signing a head every few leaves), with the log at `debug` captured line by line.
 *
 * A resident reports a noise dispute with her name and phone; staff record a walk-in caller who has no account;
 * the dispute is mediated between the resident and her neighbour. Who sees what in clear is checked per reader.
 * Then an admin forgets the resident: the events are byte-for-byte what they were, `cli audit`, `cli export` +
 * `cli verify` and every inclusion proof still verify, every read path shows `erased` — also after `cli rebuild
 * --all` — and a raw search of every table in the database finds none of the names or phones in clear. Her next
 * report reads normally (a new key generation). Last, the whole log is searched for every name and phone sent.
 */

const SECRET = 'personal-data-e2e-secret-long-enough-for-hs256'
const RESIDENT = { id: 'resident-pd-1', name: '张美玲', phone: '139 1234 5678' }
const NEIGHBOUR = { id: 'resident-pd-2', name: '赵国强' }
const WALK_IN = { name: '钱小红', phone: '137-0000-1111' }
const NEW_PHONE = '186 5555 0199'
/** Every personal value this test sends, as it was sent. */
const PERSONAL = [RESIDENT.name, RESIDENT.phone, NEIGHBOUR.name, WALK_IN.name, WALK_IN.phone, NEW_PHONE]

/** The whole scenario on one store: PostgreSQL, or the EventStoreDB adapter against the gRPC stand-in. */
async function scenario(t: Test, store: 'postgres' | 'eventstoredb') {
  const { url } = await testDatabase(t)
  const standin = store === 'eventstoredb' ? await startStandin() : undefined
  if (standin) t.teardown(() => standin.close())
  const dataDir = await mkdtemp(join(tmpdir(), 'pc-personal-data-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const env = { DATABASE_URL: url, DATA_DIR: dataDir, LOG_LEVEL: 'debug', JWT_SECRET: SECRET, ...(standin && { EVENTSTORE_URL: standin.url }) }
  const config = loadConfig(env)
  const logs: string[] = []
  const runtime = await openRuntime(config, { logger: createLogger(config, { destination: { write: (line: string) => void logs.push(line) } }) })
  t.teardown(() => runtime.close())
  const projector = await projectorOptions(config, runtime, loadProjectorConfig({ PROJECTOR_LEASE_POLL_MS: '50', LEDGER_HEAD_EVERY: '3', LEDGER_HEAD_SECONDS: '1' }))
  const app = await buildStack(config, runtime, { projector: { ...projector, sla: false } })
  t.teardown(() => app.close())
  await app.ready()
  const client = httpClient(app)
  const sql = new pg.Pool({ connectionString: url, max: 2 })
  t.teardown(() => sql.end())

  const people = {
    resident: [RESIDENT.id, 'resident'],
    neighbour: [NEIGHBOUR.id, 'resident'],
    staff: ['staff-pd', 'staff'],
    technician: ['tech-pd', 'technician'],
    mediator: ['mediator-pd', 'mediator'],
    manager: ['manager-pd', 'manager'],
    auditor: ['auditor-pd', 'auditor'],
    admin: ['admin-pd', 'admin'],
  } as const satisfies Record<string, readonly [string, Role]>
  type Who = keyof typeof people
  const tokens = Object.fromEntries(
    await Promise.all(Object.entries(people).map(async ([who, [sub, role]]) => [who, await signToken(SECRET, { sub, roles: [role], units: ['7-2-601'] })])),
  ) as Record<Who, string>

  /** The newest position any command answered: queries wait for it (`waitFor`), so they see every write. */
  let position = '0'
  async function post(path: string, body: unknown, as: Who): Promise<Answer<Record<string, unknown>>> {
    const answer = (await client.request('POST', `/v1${path}`, { token: tokens[as], body })) as Answer<Record<string, unknown>>
    if (answer.status < 300 && typeof answer.body.position === 'string' && BigInt(answer.body.position) > BigInt(position)) position = answer.body.position
    return answer
  }
  async function get(path: string, as: Who): Promise<Answer<Record<string, unknown>>> {
    return (await client.request('GET', `/v1${path}${path.includes('?') ? '&' : '?'}waitFor=${position}`, { token: tokens[as] })) as Answer<Record<string, unknown>>
  }
  async function ok(answer: Promise<Answer<Record<string, unknown>>>, label: string) {
    const { status, body } = await answer
    if (status >= 300) throw new Error(`${label}: ${status} ${JSON.stringify(body)}`)
    return body
  }

  /** `pnpm cli <argv…>` against this stack's database and DATA_DIR: its exit code and everything it printed. */
  async function cli(...argv: string[]) {
    const lines: string[] = []
    const code = await runCli(argv, { env: { ...env, LOG_LEVEL: 'silent' }, out: (l) => void lines.push(l), err: (l) => void lines.push(l) })
    return { code, output: lines.join('\n') }
  }

  /** Every base table of every schema (events, read models, ledger, keys): the rows whose text holds `value`. */
  async function rowsHolding(value: string): Promise<string[]> {
    const { rows: tables } = await sql.query<{ schema: string; name: string }>(
      `select table_schema as schema, table_name as name from information_schema.tables
        where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`,
    )
    const found: string[] = []
    if (standin) {
      const held = standin.log.records.filter((r) => Buffer.from(r.data).toString('utf8').includes(value) || Buffer.from(r.customMetadata).toString('utf8').includes(value))
      if (held.length > 0) found.push(`EventStoreDB $all (${held.length})`)
    }
    for (const { schema, name } of tables) {
      const { rows } = await sql.query<{ n: number }>(`select count(*)::int as n from "${schema}"."${name}" as r where r::text like $1`, [`%${value}%`])
      if (rows[0]!.n > 0) found.push(`${schema}.${name} (${rows[0]!.n})`)
    }
    return found
  }

  /** A stream's events as stored (data, metadata with its hash chain, ids), from whichever store holds them. */
  async function storedRows(streamId: string) {
    const rows: Array<{ eventId: string; type: string; revision: string; data: Record<string, unknown>; metadata: unknown }> = []
    for await (const e of runtime.eventStore.readStream(streamId)) {
      rows.push({ eventId: e.eventId, type: e.type, revision: e.revision.toString(), data: e.data, metadata: e.metadata })
    }
    return rows
  }

  // The scenario: a report with name and phone, a walk-in contact, a mediation between the resident and her neighbour.
  const caseId = (await ok(post('/cases', {
    kind: 'dispute', category: 'noise', title: 'Drilling upstairs on Sunday mornings',
    description: 'Call me back on the number I gave.', channel: 'app', location: { building: '7', unit: '2-601' },
    reporter: { name: RESIDENT.name, phone: RESIDENT.phone },
  }, 'resident'), 'report')).id as string
  const walkInCaseId = (await ok(post('/cases', {
    kind: 'complaint', category: 'cleaning', title: 'Bins not emptied', description: 'Walk-in at the front desk.', channel: 'reception_day',
    location: { building: '7' }, reporter: { name: WALK_IN.name, phone: WALK_IN.phone },
  }, 'staff'), 'walk-in report')).id as string
  await ok(post(`/cases/${caseId}/assign`, { assigneeId: people.technician[0], team: 'community' }, 'staff'), 'assign')
  await ok(post(`/cases/${caseId}/mediation`, {
    mediatorId: people.mediator[0],
    parties: [
      { partyId: RESIDENT.id, role: 'complainant', name: RESIDENT.name, unit: '7-2-601' },
      { partyId: NEIGHBOUR.id, role: 'respondent', name: NEIGHBOUR.name, unit: '7-2-701' },
    ],
    rightsNoticeGiven: true,
  }, 'mediator'), 'open mediation')
  await ok(post(`/cases/${caseId}/mediation/sessions`, { heldAt: new Date(Date.now() - 60_000).toISOString(), mode: 'joint', attendees: [RESIDENT.id, NEIGHBOUR.id], summary: 'Both heard.' }, 'mediator'), 'session')

  const reporterOf = async (id: string, as: Who) => (await get(`/cases/${id}`, as)).body.reporter
  const partiesOf = async (as: Who) => ((await get(`/cases/${caseId}/mediation`, as)).body.parties as Array<{ partyId: string; contact: unknown }>)
    .map((p) => [p.partyId, p.contact])

  t.test('before the forget: the contact in clear for those who call back, sealed for auditors', async (t) => {
    const clear = { subjectId: RESIDENT.id, name: RESIDENT.name, phone: RESIDENT.phone }
    for (const who of ['staff', 'technician', 'manager', 'resident'] as const) t.same(await reporterOf(caseId, who), clear, `${who} sees whom to call`)
    t.same(await reporterOf(caseId, 'auditor'), { subjectId: RESIDENT.id, sealed: true }, 'an auditor learns there is a contact, and whose')
    t.equal((await get(`/cases/${caseId}`, 'neighbour')).status, 404, 'another resident does not see the case at all')
    const walkIn = (await reporterOf(walkInCaseId, 'staff')) as { subjectId: string; name: string }
    t.match(walkIn, { subjectId: /^contact-[0-9a-f-]{36}$/, name: WALK_IN.name, phone: WALK_IN.phone }, 'a walk-in is a subject the system names for staff')
    t.same(await partiesOf('mediator'), [[RESIDENT.id, { subjectId: RESIDENT.id, name: RESIDENT.name }], [NEIGHBOUR.id, { subjectId: NEIGHBOUR.id, name: NEIGHBOUR.name }]])
    t.same(await partiesOf('auditor'), [[RESIDENT.id, { subjectId: RESIDENT.id, sealed: true }], [NEIGHBOUR.id, { subjectId: NEIGHBOUR.id, sealed: true }]])
    const history = (await get(`/cases/${caseId}/history?revision=0`, 'staff')).body as { state: { reporter: unknown } }
    t.same(history.state.reporter, clear, 'history replay opens it the same way')
  })

  t.test('free text and bad input: a phone in a title is kept, an invalid phone is named', async (t) => {
    const bad = await post('/cases', { kind: 'repair', category: 'plumbing', title: 'Leak', description: 'x', channel: 'app', location: { building: '7' }, reporter: { phone: `call ${WALK_IN.phone}!` } }, 'resident')
    t.equal(bad.status, 400)
    t.match(bad.body, { code: 'VALIDATION_FAILED', errors: [{ path: 'reporter.phone' }] })
  })

  const forgetPath = `/admin/subjects/${RESIDENT.id}/forget`
  const subjectEvents = async () => (await storedRows(`subject-${RESIDENT.id}`)).length

  t.test('forget: admin only, a reason, a known subject; twice answers 200 with one event', async (t) => {
    const before = await storedRows(`case-${caseId}`)
    t.ok(before.length >= 5, `${before.length} events in the case stream`)

    t.equal((await post(forgetPath, { reason: 'erasure request' }, 'staff')).status, 403, 'staff may not forget')
    t.equal((await post(forgetPath, { reason: 'erasure request' }, 'auditor')).status, 403, 'nor may an auditor')
    const noReason = await post(forgetPath, {}, 'admin')
    t.equal(noReason.status, 400)
    t.match(noReason.body, { errors: [{ path: 'reason' }] }, 'the reason is required')
    const unknown = await post('/admin/subjects/nobody-at-all/forget', { reason: 'erasure request' }, 'admin')
    t.equal(unknown.status, 404, 'a subject with no personal data here')
    t.match(unknown.body, { code: 'NOT_FOUND' })
    t.equal(await subjectEvents(), 0, 'refused requests record nothing')
    t.same(await reporterOf(caseId, 'staff'), { subjectId: RESIDENT.id, name: RESIDENT.name, phone: RESIDENT.phone }, 'and destroy nothing')

    const forgotten = await post(forgetPath, { reason: 'erasure request of 2026-12-07' }, 'admin')
    t.equal(forgotten.status, 200, JSON.stringify(forgotten.body))
    t.equal(await subjectEvents(), 1, 'one SubjectForgotten')
    const [event] = await storedRows(`subject-${RESIDENT.id}`)
    t.equal(event!.type, 'SubjectForgotten')
    t.match(event!.data, { subjectId: RESIDENT.id, reason: 'erasure request of 2026-12-07', keysDestroyed: 1 })
    const again = await post(forgetPath, { reason: 'erasure request of 2026-12-07' }, 'admin')
    t.equal(again.status, 200, 'forgetting twice is answered')
    t.equal(await subjectEvents(), 1, 'with no second event')

    t.same(await storedRows(`case-${caseId}`), before, 'the case stream is byte-for-byte what it was')
  })

  t.test('after the forget: every read path shows erased, others keep theirs', async (t) => {
    const erased = { subjectId: RESIDENT.id, erased: true }
    for (const who of ['staff', 'technician', 'manager', 'auditor'] as const) t.same(await reporterOf(caseId, who), erased, `${who}: erased`)
    t.same(((await get(`/cases/${caseId}/history?revision=0`, 'staff')).body as { state: { reporter: unknown } }).state.reporter, erased, 'history replay')
    t.same(await partiesOf('mediator'), [[RESIDENT.id, erased], [NEIGHBOUR.id, { subjectId: NEIGHBOUR.id, name: NEIGHBOUR.name }]], 'mediation: her name erased, his kept')
    t.match(await reporterOf(walkInCaseId, 'staff'), { name: WALK_IN.name }, 'the walk-in is another subject')
    const timeline = JSON.stringify((await get(`/cases/${caseId}/timeline`, 'staff')).body)
    t.notOk(PERSONAL.some((v) => timeline.includes(v)), 'the timeline holds no personal value')
  })

  t.test('a new report by the forgotten resident reads normally, under a new key', async (t) => {
    const next = (await ok(post('/cases', {
      kind: 'repair', category: 'plumbing', title: 'Dripping tap', description: 'Kitchen.', channel: 'app', location: { building: '7', unit: '2-601' },
      reporter: { name: RESIDENT.name, phone: NEW_PHONE },
    }, 'resident'), 'new report')).id as string
    t.same(await reporterOf(next, 'staff'), { subjectId: RESIDENT.id, name: RESIDENT.name, phone: NEW_PHONE })
    t.same(await reporterOf(caseId, 'staff'), { subjectId: RESIDENT.id, erased: true }, 'the old case stays erased')
    const keyOf = async (id: string) => ((await storedRows(`case-${id}`))[0]!.data.reporter as { keyId: string }).keyId
    const [oldKey, newKey] = [await keyOf(caseId), await keyOf(next)]
    t.not(oldKey, newKey, 'another key generation')
  })

  t.test('hashes, chains, signed heads and inclusion proofs all still verify', async (t) => {
    // A head over everything: the ledger signs every 3 leaves, and at least once a second when it has grown.
    let count = 0
    for await (const e of runtime.eventStore.readAll()) if (e.streamId !== 'ledger-checkpoints') count++
    const leaves = String(count)
    let head: { treeSize: string; rootHash: string } | undefined
    for (let i = 0; i < 200 && head?.treeSize !== leaves; i++) {
      head = (await client.request('GET', '/v1/ledger/head', { token: tokens.auditor })).body as typeof head
      if (head?.treeSize !== leaves) await new Promise((done) => setTimeout(done, 50))
    }
    t.equal(head?.treeSize, leaves, `a signed head over all ${leaves} leaves`)

    const audit = await cli('audit')
    t.equal(audit.code, 0, audit.output)
    t.match(audit.output, /^audit ok/)

    const out = join(dataDir, 'export.jsonl')
    const exported = await cli('export', '--all', '--out', out)
    t.equal(exported.code, 0, exported.output)
    const exportedText = await readFile(out, 'utf8')
    t.notOk(PERSONAL.some((v) => exportedText.includes(v)), 'the export keeps ciphertext only')
    t.match(exportedText, /"ciphertext":/)
    const headFile = join(dataDir, 'head.json')
    await writeFile(headFile, JSON.stringify(head))
    const keyFile = join(dataDir, 'ledger.pub.pem')
    const publicKey = (await client.request('GET', '/v1/ledger/public-key', { token: tokens.auditor })).body as { publicKeyPem: string }
    await writeFile(keyFile, publicKey.publicKeyPem)
    const verified = await cli('verify', '--in', out, '--head', headFile, '--public-key', keyFile)
    t.equal(verified.code, 0, verified.output)

    for (const row of await storedRows(`case-${caseId}`)) {
      const proof = (await client.request('GET', `/v1/ledger/proofs/inclusion?eventId=${row.eventId}`, { token: tokens.auditor })).body as Record<string, string> & { auditPath: string[] }
      t.equal(proof.rootHash, head!.rootHash, `${row.type}: proven against the signed head`)
      t.ok(verifyInclusion({ ...proof, leafIndex: BigInt(proof.leafIndex!), treeSize: BigInt(proof.treeSize!) } as never), `${row.type}: the proof verifies`)
    }
  })

  t.test('rebuild gives the same read models, still erased', async (t) => {
    const snapshot = async () => ({
      cases: (await sql.query(`select case_id, state from case_list order by case_id`)).rows,
      mediation: JSON.stringify(await partiesOf('mediator')),
      reporter: await reporterOf(caseId, 'staff'),
    })
    const live = await snapshot()
    const rebuilt = await cli('rebuild', '--all', '--quiet')
    t.equal(rebuilt.code, 0, rebuilt.output)
    t.same(await snapshot(), live)
    t.same(live.reporter, { subjectId: RESIDENT.id, erased: true })
  })

  t.test('no name or phone in clear in any table, nor in the log', async (t) => {
    for (const value of PERSONAL) t.same(await rowsHolding(value), [], `no table holds ${JSON.stringify(value)}`)
    t.ok((await rowsHolding(RESIDENT.id)).length > 0, 'the search itself finds what is there (the subject id)')
    const log = logs.join('')
    t.ok(logs.length > 50, `${logs.length} log lines at debug`)
    t.match(log, /"url":"\/v1\/cases"/, 'requests were logged')
    for (const value of PERSONAL) t.notOk(log.includes(value), `the log never holds ${JSON.stringify(value)}`)
  })
}

t.test('on PostgreSQL', (t) => scenario(t, 'postgres'))
t.test('on EventStoreDB (the adapter and the real client, against the gRPC stand-in)', (t) => scenario(t, 'eventstoredb'))
