import { randomUUID } from 'node:crypto'
import type { CaseEvent } from '@pc/contracts'
import { caseDecider, caseEventCodec, DEFAULT_SLA_POLICY, type CaseCommand, type CaseState, type CommandActor } from '@pc/domain'
import { handleCommand } from '@pc/event-store'
import t from 'tap'
// The read models' seeded PRNG (mulberry32): a failing run reproduces.
import { prng } from '../../../packages/read-models/test/support/case-history.js'
import { minutesAfter, report, stack, type Stack } from './support/stack.js'

/**
 * History replay (issue 4, "Must show"): for a case with more than 500 events, `history?revision=n` equals the state
 * after folding the first n+1 events, and `asOf` picks the last event at or before that moment. The expected states
 * come from the command handler itself (the state it decided on after each append) and from an independent fold
 * of the stored events; the API folds the event store, never a read model (no projector runs in this file).
 */

const staff: CommandActor = { id: 'staff-1', roles: ['staff'] }
const resident: CommandActor = { id: 'resident-9', roles: ['resident'] }
const T0 = '2026-04-01T01:00:00.000Z'
const caseId = randomUUID()

let s!: Stack
let auditor!: string
/** The state after each event, by revision, from an independent fold of the stored events. */
const folded: CaseState[] = []
/** The time each event happened, by revision. */
const times: string[] = []
/** The command handler's own state after each of its appends, by the revision it ended at. */
const decided = new Map<number, CaseState>()

interface Step {
  command: CaseCommand
  at: string
}

/**
 * The case decider over a run of commands, each at its own time: one `handleCommand` appends the events of twenty
 * commands, so building a 500-event case does not fold its stream 500 times. The events are exactly those the case
 * decider decides command by command, sealed and chained by the command handler.
 */
const stepsDecider = {
  initialState: caseDecider.initialState,
  evolve: caseDecider.evolve,
  decide(steps: readonly Step[], state: CaseState): CaseEvent[] {
    const events: CaseEvent[] = []
    for (const { command, at } of steps) {
      const decidedEvents = caseDecider.decide(command, state, { now: at, slaPolicy: DEFAULT_SLA_POLICY })
      state = decidedEvents.reduce(caseDecider.evolve, state)
      events.push(...decidedEvents)
    }
    return events
  },
}

t.before(async () => {
  s = await stack(t)
  auditor = await s.token('auditor-1', 'auditor')
  const random = prng(20260401)
  let minutes = 0
  const steps: Step[] = []
  const add = (command: CaseCommand) => {
    // Zero to 30 minutes apart: many commands share a minute with the one before (ties for `asOf`).
    minutes += random() < 0.2 ? 0 : Math.ceil(random() * 30)
    steps.push({ command, at: minutesAfter(T0, minutes) })
  }
  add({ type: 'acknowledge', data: {}, actor: staff })
  add({ type: 'assign', data: { assigneeId: 'tech-1', team: 'plumbing' }, actor: staff })
  for (let round = 0; steps.length < 505; round++) {
    if (round % 40 === 20) {
      add({ type: 'hold', data: { reason: 'waiting for parts' }, actor: staff })
      add({ type: 'note', data: { body: `held ${round}`, visibility: 'internal' }, actor: staff })
      add({ type: 'resume', data: {}, actor: staff })
    } else if (round % 50 === 49) {
      add({ type: 'escalate', data: { reason: `slow ${round}` }, actor: staff })
    } else if (round % 120 === 90) {
      add({ type: 'resolve', data: { resolution: `attempt ${round}` }, actor: staff })
      // A low rating reopens the case: one command, two events.
      add({ type: 'follow_up', data: { rating: 2, method: 'phone' }, actor: staff })
    } else if (round % 90 === 45) {
      add({ type: 'assign', data: { assigneeId: `tech-${round}` }, actor: staff })
    } else {
      add({ type: 'note', data: { body: `progress ${round}`, visibility: round % 3 === 0 ? 'internal' : 'public' }, actor: staff })
    }
  }
  add({ type: 'resolve', data: { resolution: 'Fixed for good' }, actor: staff })
  add({ type: 'follow_up', data: { rating: 5, method: 'visit' }, actor: staff })

  // Sealed by the real vault, so an auditor's history shows that there is a reporter and whose, never who.
  const reporter = await s.runtime.vault.seal(resident.id, { name: 'Wang Fang', phone: '13800000009' })
  const reported = await s.command(caseId, report(caseId, resident, { priority: 'high', reporter }), T0)
  decided.set(Number(reported.revision), reported.state)
  for (let i = 0; i < steps.length; i += 20) {
    const batch = steps.slice(i, i + 20)
    const at = batch.at(-1)!.at
    const result = await handleCommand(s.runtime.eventStore, stepsDecider, `case-${caseId}`, batch, {
      codec: caseEventCodec,
      context: () => undefined,
      metadata: { actor: { id: staff.id, roles: [...staff.roles] }, occurredAt: at, correlationId: randomUUID(), causationId: null },
      eventIds: () => randomUUID(),
    })
    decided.set(Number(result.revision), result.state)
  }

  let state = caseDecider.initialState
  for await (const event of s.runtime.eventStore.readStream(`case-${caseId}`)) {
    const domainEvent = caseEventCodec.fromStored(event)
    state = caseDecider.evolve(state, domainEvent)
    folded.push(state)
    times.push(domainEvent.data.at)
  }
})

const json = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown
/** A folded state as an auditor is shown it: the reporter's envelope becomes `sealed`, everything else as folded. */
const asAuditorSees = (state: CaseState | undefined) => ({ ...(json(state) as object), reporter: { subjectId: resident.id, sealed: true } })

t.test('the case has more than 500 events, and the independent fold agrees with the command handler', async (t) => {
  t.ok(folded.length > 500, `${folded.length} events`)
  t.equal(folded.length - 1, Math.max(...decided.keys()))
  t.ok(folded.some((c) => c.status === 'on_hold'), 'holds in the history')
  t.ok(folded.some((c, i) => i > 0 && c.status === 'in_progress' && folded[i - 1]!.status === 'resolved' && c.reopenCount > 0), 'reopened by a low rating')
  for (const [revision, state] of decided) t.same(json(folded[revision]), json(state), `revision ${revision}`)
})

t.test('GET /v1/cases/:id/history?revision=n equals the fold of the first n+1 events', async (t) => {
  const random = prng(7)
  const last = folded.length - 1
  const sample = new Set([0, 1, 2, last - 1, last])
  while (sample.size < 80) sample.add(Math.floor(random() * folded.length))
  for (const n of [...sample].sort((a, b) => a - b)) {
    const res = await s.get(`/v1/cases/${caseId}/history?revision=${n}`, auditor)
    t.equal(res.statusCode, 200, `revision ${n}`)
    const body = res.json()
    t.equal(body.revision, String(n))
    t.equal(body.asOf, times[n], `asOf is the time of event ${n}`)
    t.same(body.state, asAuditorSees(folded[n]), `state after ${n + 1} events`)
  }
  const past = await s.get(`/v1/cases/${caseId}/history?revision=${last + 1}`, auditor)
  t.equal(past.statusCode, 404)
})

t.test('GET /v1/cases/:id/history?asOf=t picks the last event at or before t', async (t) => {
  const random = prng(11)
  const first = Date.parse(times[0]!)
  const end = Date.parse(times.at(-1)!)
  const moments: string[] = [
    times[0]!,
    times.at(-1)!,
    new Date(end + 3_600_000).toISOString(),
    ...Array.from({ length: 15 }, () => times[Math.floor(random() * times.length)]!),
    ...Array.from({ length: 25 }, () => new Date(first + Math.floor(random() * (end - first))).toISOString()),
  ]
  for (const moment of moments) {
    // The expected answer, found the plain way: the highest revision whose time is at or before the moment.
    let expected = -1
    times.forEach((at, revision) => {
      if (Date.parse(at) <= Date.parse(moment)) expected = revision
    })
    const res = await s.get(`/v1/cases/${caseId}/history?asOf=${encodeURIComponent(moment)}`, auditor)
    t.equal(res.statusCode, 200, moment)
    const body = res.json()
    t.equal(body.revision, String(expected), `asOf ${moment}`)
    t.equal(body.asOf, moment)
    t.same(body.state, asAuditorSees(folded[expected]))
  }
  t.ok(times.some((at, i) => i > 0 && at === times[i - 1]), 'the history has events that share a moment')
  const before = await s.get(`/v1/cases/${caseId}/history?asOf=${encodeURIComponent(new Date(first - 1).toISOString())}`, auditor)
  t.equal(before.statusCode, 404, 'before the report the case did not exist')
})
