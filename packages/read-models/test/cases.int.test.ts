import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import { caseDecider, caseEventCodec, DEFAULT_SLA_POLICY, isOpen, slaClocks, type CaseCommand, type CaseState, type CommandActor } from '@pc/domain'
import type { DeliveredEvent } from '@pc/event-store'
import {
  CASE_STREAMS,
  caseProjections,
  computeCaseFigures,
  listSlaClocks,
  ProjectionRunner,
  queryCaseFigures,
  rebuildProjections,
  waitForProjections,
  type Database,
} from '../src/index.js'
import { appendHistories, generateCaseHistories, type GeneratedCase } from './support/case-history.js'
import { newEvent } from './support/events.js'
import { harness, rows } from './support/harness.js'
import { sealedForTest } from '@pc/testing/personal'

const NAMES = caseProjections.map((p) => p.name)

function runner(h: Awaited<ReturnType<typeof harness>>) {
  return new ProjectionRunner({ db: h.db, store: h.store, connectionString: h.url, projections: caseProjections, leasePollMs: 50, retryDelayMs: 50 })
}

/** Waits for everything appended so far: a marker appended after it all is last in delivery order. */
async function settle(h: Awaited<ReturnType<typeof harness>>) {
  const { position } = await h.store.append('marker-1', [newEvent('Marker')])
  if (!(await waitForProjections(h.db, h.store, NAMES, position, { timeoutMs: 60_000 }))) throw new Error('projections did not catch up')
}

/** Numbers equal up to floating-point noise (SQL and JS add in different orders); everything else exactly. */
function close(actual: unknown, expected: unknown, path = ''): string[] {
  if (typeof actual === 'number' && typeof expected === 'number') {
    return Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(actual), Math.abs(expected)) ? [] : [`${path}: ${actual} != ${expected}`]
  }
  if (actual && expected && typeof actual === 'object' && typeof expected === 'object') {
    const keys = new Set([...Object.keys(actual), ...Object.keys(expected)])
    return [...keys].flatMap((k) => close((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], `${path}.${k}`))
  }
  return Object.is(actual, expected) ? [] : [`${path}: ${JSON.stringify(actual)} != ${JSON.stringify(expected)}`]
}

async function snapshot(db: Kysely<Database>) {
  return {
    list: await rows(db, 'select * from case_list order by case_id'),
    timeline: await rows(db, 'select * from case_timeline order by case_id, revision'),
    sla: await rows(db, 'select * from case_sla order by case_id'),
    figures: await rows(db, 'select * from case_figures_cases order by case_id'),
  }
}

t.test('the closed loop, as every case read model shows it', async (t) => {
  const h = await harness(t)
  const caseId = randomUUID()
  const resident: CommandActor = { id: 'resident-7', roles: ['resident'] }
  const staff: CommandActor = { id: 'staff-1', roles: ['staff'] }
  const manager: CommandActor = { id: 'manager-1', roles: ['manager'] }
  let state: CaseState = caseDecider.initialState
  let revision: bigint | 'no_stream' = 'no_stream'
  const at = (minutes: number) => new Date(Date.parse('2026-03-02T01:00:00.000Z') + minutes * 60_000).toISOString()
  const run = async (command: CaseCommand, minutes: number) => {
    const events = caseDecider.decide(command, state, { now: at(minutes), slaPolicy: DEFAULT_SLA_POLICY })
    state = events.reduce(caseDecider.evolve, state)
    // The codec writes each type's latest schema version, as the command handler does.
    const stored = events.map((e) => ({ ...newEvent(e.type), ...caseEventCodec.toStored(e), metadata: { ...newEvent(e.type).metadata, actor: { id: command.actor.id, roles: [...command.actor.roles] } } }))
    const result = await h.store.append(`case-${caseId}`, stored, { expectedRevision: revision })
    revision = result.nextExpectedRevision
  }
  await run({ type: 'report', caseId, actor: resident, data: { kind: 'repair', category: 'lift', title: 'Lift stuck', description: 'Between floors 3 and 4', channel: 'app', priority: 'high', location: { building: 'B2', unit: '301' }, reporter: sealedForTest(resident.id) } }, 0)
  await run({ type: 'acknowledge', data: { note: 'On it' }, actor: staff }, 20)
  await run({ type: 'assign', data: { assigneeId: 'tech-7', team: 'lifts' }, actor: staff }, 30)
  await run({ type: 'note', data: { body: 'Engineer on site', visibility: 'public' }, actor: staff }, 60)
  await run({ type: 'note', data: { body: 'Contractor invoice pending', visibility: 'internal' }, actor: staff }, 70)
  await run({ type: 'resolve', data: { resolution: 'Door sensor replaced' }, actor: staff }, 120)
  await run({ type: 'follow_up', data: { rating: 5, method: 'phone', comment: 'Quick' }, actor: staff }, 240)
  await run({ type: 'review', data: { rootCause: 'Worn sensor', lessons: 'Check sensors quarterly', preventiveActions: ['quarterly check'], typical: true }, actor: manager }, 300)
  await run({ type: 'close', data: {}, actor: staff }, 310)

  const r = runner(h)
  r.start()
  t.teardown(() => r.stop())
  await settle(h)

  const [row] = await rows<Record<string, unknown>>(h.db, `select * from case_list where case_id = '${caseId}'`)
  t.match(row, {
    status: 'closed', kind: 'repair', category: 'lift', priority: 'high', building: 'B2', unit: '301',
    reporter_id: 'resident-7', assignee_id: 'tech-7', team: 'lifts', escalation_level: 0, reopen_count: 0,
    note_count: 2, reviewed: true, rating: 5, revision: '8', response_overdue: false,
  })
  t.same(row?.['closed_at'], new Date(at(310)))
  t.same(row?.['responded_at'], new Date(at(20)))
  t.notMatch(JSON.stringify(row?.['state']), /王女士|138 0000/, 'no personal data in the read model')

  const timeline = await rows<{ type: string; visibility: string; summary: string; detail: string | null; actor_id: string }>(
    h.db, `select type, visibility, summary, detail, actor_id from case_timeline where case_id = '${caseId}' order by revision`)
  t.same(timeline.map((e) => e.type), ['CaseReported', 'CaseAcknowledged', 'CaseAssigned', 'CaseNoteAdded', 'CaseNoteAdded', 'CaseResolved', 'CaseFollowedUp', 'CaseReviewed', 'CaseClosed'])
  t.same(timeline.filter((e) => e.visibility === 'internal').map((e) => e.type), ['CaseNoteAdded', 'CaseReviewed'], 'internal note and review are staff-only')
  t.match(timeline[2], { summary: 'Assigned to tech-7 (lifts)', actor_id: 'staff-1' })
  t.match(timeline[5], { summary: 'Resolved', detail: 'Door sensor replaced' })

  const [sla] = await rows<Record<string, unknown>>(h.db, `select * from case_sla where case_id = '${caseId}'`)
  t.match(sla, { open: false, response_met: true, resolution_met: true, next_due_at: null })

  const figures = await queryCaseFigures(h.db, { groupBy: ['month', 'category'] })
  t.match(figures, [{ month: '2026-03', category: 'lift', cases: 1, firstResponseMinutes: { median: 20, p90: 20 }, resolutionMinutes: { median: 120 }, slaTargetsMet: 1, averageSatisfaction: 5, reopenRate: 0, firstTimeFixRate: 1 }])
})

t.test('1,000 random cases: figures from raw events equal the read model; SLA queue agrees with the domain; rebuild equals incremental', async (t) => {
  const h = await harness(t)
  const cases: GeneratedCase[] = generateCaseHistories({ cases: 1000, seed: 20260302 })
  const all = cases.flatMap((c) => c.events)
  t.ok(all.length >= 5000, `a substantial history (${all.length} events)`)
  const types = new Set(all.map((e) => e.type))
  for (const type of ['CaseOnHold', 'CaseResumed', 'CaseReopened', 'ResponseOverdue', 'ResolutionOverdue', 'UpdateOverdue', 'CaseEscalated', 'CaseMerged', 'CaseFollowedUp']) {
    t.ok(types.has(type), `the history has ${type}`)
  }
  await appendHistories(h.store, cases)
  const r = runner(h)
  r.start()
  await settle(h)

  const raw: DeliveredEvent[] = []
  for await (const e of h.store.readAll({ filter: CASE_STREAMS })) raw.push(e)
  t.equal(raw.length, all.length)
  for (const groupBy of [[], ['month'], ['category'], ['building'], ['month', 'category', 'building']] as const) {
    const fromModel = await queryCaseFigures(h.db, { groupBy })
    const fromEvents = computeCaseFigures(raw, { groupBy })
    t.same(close(fromModel, fromEvents), [], `figures grouped by [${groupBy.join(', ')}] agree (${fromModel.length} groups)`)
  }
  const window = { from: '2026-02', to: '2026-03', groupBy: ['month'] as const }
  t.same(close(await queryCaseFigures(h.db, window), computeCaseFigures(raw, window)), [], 'and within a month range')
  const [overall] = await queryCaseFigures(h.db)
  t.equal(overall?.cases, 1000)
  t.ok(overall!.reopenRate! > 0 && overall!.firstTimeFixRate! < 1, 'reopens happened')

  const now = '2026-03-20T03:00:00.000Z'
  const listed = await listSlaClocks(h.db, { now, overdueOnly: true, limit: 1000 })
  const expected = cases
    .filter((c) => c.state.status !== 'none' && isOpen(c.state))
    .filter((c) => {
      if (c.state.status === 'none') return false
      const clocks = slaClocks(c.state, now)
      return [clocks.response, clocks.update, clocks.resolution].some((k) => k.running && k.overdue)
    })
    .map((c) => c.caseId)
    .sort()
  t.ok(expected.length > 0, 'some cases are overdue at that moment')
  t.same(listed.map((l) => l.caseId).sort(), expected, 'the SLA queue lists exactly the cases the domain finds overdue')
  const sample = cases.find((c) => c.caseId === listed[0]?.caseId)!
  t.same(listed[0]?.clocks, slaClocks(sample.state as Exclude<CaseState, { status: 'none' }>, now), 'time left per clock is the domain\'s')

  await r.stop()
  const incremental = await snapshot(h.db)
  t.equal(incremental.timeline.length, all.length, 'one timeline row per event')
  await rebuildProjections({ db: h.db, store: h.store, projections: caseProjections })
  const rebuilt = await snapshot(h.db)
  t.same(rebuilt.list, incremental.list, 'case_list rebuilt row for row')
  t.same(rebuilt.timeline, incremental.timeline, 'case_timeline rebuilt row for row')
  t.same(rebuilt.sla, incremental.sla, 'case_sla rebuilt row for row')
  t.same(rebuilt.figures, incremental.figures, 'case_figures_cases rebuilt row for row')
})
