import { isDeepStrictEqual } from 'node:util'
import t from 'tap'
import fc from 'fast-check'
import { CaseStatus } from '@pc/contracts'
import type { CaseEvent } from '@pc/contracts'
import {
  addBusinessMinutes,
  businessMinutesBetween,
  caseDecider,
  caseEventCodec,
  ForbiddenError,
  NotFoundError,
  requiresReview,
  RuleViolationError,
} from '../src/index.js'
import type { ActiveCaseState, CaseCommand, CaseState, CommandActor } from '../src/index.js'
import { actors, CASE_ID, commandFor, context, minutesAfter, OTHER_ID, PRIMARY_ID, T0 } from './support/case-fixtures.js'

/**
 * Random command sequences against the case decider. Whatever is sent, by whomever, whenever:
 * - the status is always one of the defined ones;
 * - a case that needed a review was reviewed before it closed;
 * - the response and resolution deadlines move only when a stopped clock restarts (resume, reopen, unmerge), and
 *   then by exactly the calendar time the clock stood still;
 * - replaying the produced events from scratch — also through the store codec — gives the same state.
 */

const CASE_IDS = [CASE_ID, OTHER_ID, PRIMARY_ID]
/** Who sends a step's command: mostly people who may, now and then someone who may not. */
const actorArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant<CommandActor>(actors.boss) },
  { weight: 2, arbitrary: fc.constantFrom<CommandActor>(actors.staff, actors.manager, actors.resident, actors.technician) },
  { weight: 1, arbitrary: fc.constantFrom<CommandActor>(actors.otherResident, actors.committee, actors.sla) },
)

const text = fc.constantFrom('a', 'waiting for parts', '电梯又坏了')

const command = <T extends CaseCommand['type'], D>(weight: number, type: T, data: fc.Arbitrary<D>) => ({
  weight,
  arbitrary: fc.record({ type: fc.constant(type), data }),
})
const none = fc.constant({})
const optional = <V>(arb: fc.Arbitrary<V>) => fc.option(arb, { nil: undefined })

// Withdraw and merge end most sequences, so they come rarely; the loop's own commands come often.
const commandArb = fc.oneof(
  command(3, 'acknowledge', fc.record({ note: optional(text) })),
  command(4, 'assign', fc.record({ assigneeId: fc.constantFrom('tech-1', 'tech-2'), team: optional(fc.constant('lifts')) })),
  command(2, 'hold', fc.record({ reason: text })),
  command(3, 'resume', none),
  command(2, 'note', fc.record({ body: text, visibility: fc.constantFrom('public' as const, 'internal' as const) })),
  command(1, 'escalate', fc.record({ reason: text })),
  command(4, 'resolve', fc.record({ resolution: text })),
  command(
    4,
    'follow_up',
    fc.record({
      rating: fc.integer({ min: 1, max: 5 }),
      method: fc.constantFrom('phone' as const, 'visit' as const, 'app' as const, 'wechat' as const),
      comment: optional(text),
    }),
  ),
  command(
    3,
    'review',
    fc.record({ rootCause: text, lessons: text, preventiveActions: fc.array(text, { maxLength: 2 }), typical: fc.boolean() }),
  ),
  command(3, 'close', none),
  command(2, 'reopen', fc.record({ reason: text })),
  command(1, 'withdraw', fc.record({ reason: text })),
  command(1, 'link', fc.record({ caseId: fc.constantFrom(...CASE_IDS) })),
  command(1, 'unlink', fc.record({ caseId: fc.constantFrom(...CASE_IDS) })),
  command(1, 'merge', fc.record({ intoCaseId: fc.constantFrom(...CASE_IDS) })),
  command(2, 'unmerge', none),
  command(3, 'record_overdue', fc.record({ clock: fc.constantFrom('response' as const, 'update' as const, 'resolution' as const) })),
) as fc.Arbitrary<Omit<CaseCommand, 'actor'>>

const stepArb = fc.record({
  command: commandArb,
  actor: actorArb,
  /** The SLA worker's command is sent by the SLA worker, except now and then. */
  slaByOther: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  // Mostly minutes, sometimes days: enough to breach every clock now and then.
  advance: fc.oneof(fc.integer({ min: 0, max: 120 }), fc.integer({ min: 0, max: 6 * 24 * 60 })),
})

const reportArb = fc.record({
  kind: fc.constantFrom('complaint', 'repair', 'suggestion', 'inquiry', 'warning', 'dispute'),
  priority: fc.option(fc.constantFrom('low', 'normal', 'high', 'urgent'), { nil: undefined }),
  start: fc.integer({ min: 0, max: 14 * 24 * 60 }),
})

const active = (state: CaseState): ActiveCaseState => {
  if (state.status === 'none') throw new Error('no case')
  return state
}

const DEADLINE_MOVERS = new Set(['CaseResumed', 'CaseReopened', 'CaseUnmerged'])

/** Checks the deadline invariant for one event, given the state before and after it. */
function checkDeadlines(before: ActiveCaseState, after: ActiveCaseState, event: CaseEvent): void {
  const calendar = before.sla.terms.calendar
  for (const clock of ['response', 'resolution'] as const) {
    const was = before.sla[clock].dueAt
    const is = after.sla[clock].dueAt
    if (was === is) continue
    if (!DEADLINE_MOVERS.has(event.type) || !('pausedMinutes' in event.data)) {
      throw new Error(`${clock} deadline moved by ${event.type}: ${was} → ${is}`)
    }
    const stoppedAt = before.sla[clock].stoppedAt
    if (stoppedAt === null) throw new Error(`${clock} deadline moved by ${event.type} while its clock was running`)
    const stood = Math.max(0, businessMinutesBetween(stoppedAt, event.data.at, calendar))
    if (event.data.pausedMinutes !== stood) {
      throw new Error(`${event.type} paused ${event.data.pausedMinutes} min, the clock stood ${stood} min`)
    }
    if (is !== addBusinessMinutes(was, stood, calendar)) throw new Error(`${clock} deadline moved by more than the pause`)
  }
}

interface Explored {
  reached: Set<string>
  seen: Set<string>
  commandsAccepted: number
}

/** Runs random sequences, throwing (through fast-check, with a shrunk counterexample) on the first broken invariant. */
function explore(parameters: { numRuns: number; seed?: number }): Explored {
  const reached = new Set<string>()
  const seen = new Set<string>()
  let commandsAccepted = 0

  fc.assert(
    fc.property(reportArb, fc.array(stepArb, { minLength: 5, maxLength: 60, size: 'max' }), (report, steps) => {
      let now = minutesAfter(T0, report.start)
      const base = commandFor('report')
      if (base.type !== 'report') throw new Error('unreachable')
      const reportCommand: CaseCommand = { ...base, data: { ...base.data, kind: report.kind, priority: report.priority } }
      const events: CaseEvent[] = caseDecider.decide(reportCommand, caseDecider.initialState, context(now))
      let state = events.reduce(caseDecider.evolve, caseDecider.initialState)

      for (const step of steps) {
        now = minutesAfter(now, step.advance)
        const actor = step.command.type === 'record_overdue' && !step.slaByOther ? actors.sla : step.actor
        const command = { ...step.command, actor } as CaseCommand
        let decided: CaseEvent[]
        try {
          decided = caseDecider.decide(command, state, context(now))
        } catch (error) {
          if (error instanceof RuleViolationError || error instanceof ForbiddenError || error instanceof NotFoundError) {
            continue
          }
          throw error
        }
        if (decided.length > 0) commandsAccepted++
        for (const event of decided) {
          const before = active(state)
          if (event.type === 'CaseClosed' && requiresReview(before) && !before.reviewed) {
            throw new Error('closed without the review it required')
          }
          state = caseDecider.evolve(state, event)
          const after = active(state)
          if (!CaseStatus.safeParse(after.status).success) throw new Error(`undefined status ${String(after.status)}`)
          checkDeadlines(before, after, event)
          // Every event the decider produces is one the store accepts and gives back unchanged.
          const stored = JSON.parse(JSON.stringify(caseEventCodec.toStored(event)))
          if (!isDeepStrictEqual(caseEventCodec.fromStored(stored), event)) {
            throw new Error(`${event.type} does not survive the codec`)
          }
          events.push(event)
          seen.add(event.type)
        }
        reached.add(state.status)
      }

      const replayed = events.reduce(caseDecider.evolve, caseDecider.initialState)
      if (!isDeepStrictEqual(replayed, state)) throw new Error('replaying the events gives another state')
      const fromStore = events
        .map((event) => caseEventCodec.fromStored(JSON.parse(JSON.stringify(caseEventCodec.toStored(event)))))
        .reduce(caseDecider.evolve, caseDecider.initialState)
      if (!isDeepStrictEqual(fromStore, state)) throw new Error('replay through the codec differs')

      const escalations = events.filter((e) => e.type === 'CaseEscalated').length
      if (active(state).escalationLevel !== escalations) throw new Error('escalation level is not the count of escalations')
      if (events.filter((e) => e.type === 'ResponseOverdue').length > 1) throw new Error('a response breach recorded twice')
    }),
    parameters,
  )
  return { reached, seen, commandsAccepted }
}

t.test('random command sequences keep the invariants (fixed seed, every status reached)', async (t) => {
  const { reached, seen, commandsAccepted } = explore({ numRuns: 500, seed: 20_260_302 })
  // The runs must actually have gone everywhere, or the invariants were checked on too little.
  for (const status of CaseStatus.options) t.ok(reached.has(status), `reached ${status}`)
  for (const type of ['CaseClosed', 'CaseReopened', 'CaseResumed', 'CaseUnmerged', 'ResponseOverdue', 'UpdateOverdue', 'ResolutionOverdue']) {
    t.ok(seen.has(type), `produced ${type}`)
  }
  t.ok(commandsAccepted > 1_000, `${commandsAccepted} commands accepted`)
})

t.test('random command sequences keep the invariants (fresh seed each run)', async (t) => {
  const { commandsAccepted } = explore({ numRuns: 500 })
  t.ok(commandsAccepted > 0, `${commandsAccepted} commands accepted, every invariant held`)
})
