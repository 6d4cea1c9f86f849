import { randomUUID } from 'node:crypto'
import type { CaseCommand } from '@pc/domain'
import { caseDecider, caseEventCodec, DEFAULT_SLA_POLICY, SLA_ACTOR, type CaseState, type CommandActor } from '@pc/domain'
import type { EventStore, NewEvent } from '@pc/event-store'
import { sealEvents, ZERO_HASH } from '@pc/ledger'
import { sealedForTest } from '@pc/testing/personal'

/** A small deterministic PRNG (mulberry32): a failing seed reproduces. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const STAFF: CommandActor = { id: 'staff-1', roles: ['staff'] }
const MANAGER: CommandActor = { id: 'manager-1', roles: ['manager'] }
const BUILDINGS = ['B1', 'B2', 'B3']
const CATEGORIES = ['lift', 'plumbing', 'noise', 'parking']
const KINDS = ['complaint', 'repair', 'suggestion', 'inquiry', 'warning', 'dispute'] as const
const PRIORITIES = ['low', 'normal', 'normal', 'high', 'urgent'] as const

export interface GeneratedCase {
  caseId: string
  streamId: string
  /** Sealed (hash-chained) events, ready to append. */
  events: NewEvent[]
  state: CaseState
}

type Step = (state: CaseState) => CaseCommand | null

/**
 * Case histories driven through the real decider with random commands at random times: holds, reopens (by
 * low ratings and on request), escalations, SLA breaches recorded by the SLA actor, links, merges, withdrawals.
 * Commands the decider refuses are skipped, so every history is one the system could have recorded.
 */
export function generateCaseHistories(options: { cases: number; seed: number; start?: string }): GeneratedCase[] {
  const random = prng(options.seed)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  const chance = (p: number) => random() < p
  const start = Date.parse(options.start ?? '2026-01-05T01:00:00.000Z')
  const ids: string[] = []
  const cases: GeneratedCase[] = []
  for (let n = 0; n < options.cases; n++) {
    const caseId = randomUUID()
    const resident: CommandActor = { id: `resident-${n % 40}`, roles: ['resident'] }
    // Reports spread over about three months, so figures have several months to group.
    let now = start + Math.floor(random() * 90 * 24 * 60) * 60_000
    let state: CaseState = caseDecider.initialState
    const decided: NewEvent[] = []
    const other = () => (ids.length > 0 ? pick(ids) : null)
    const steps: Record<string, Step[]> = {
      reported: [
        () => ({ type: 'acknowledge', data: {}, actor: STAFF }),
        () => ({ type: 'assign', data: { assigneeId: pick(['tech-1', 'tech-2']), team: 'maintenance' }, actor: STAFF }),
        () => ({ type: 'record_overdue', data: { clock: 'response' }, actor: SLA_ACTOR }),
        () => (chance(0.1) ? { type: 'withdraw', data: { reason: 'sorted it myself' }, actor: resident } : null),
        () => {
          const into = other()
          return into && chance(0.1) ? { type: 'merge', data: { intoCaseId: into }, actor: STAFF } : null
        },
      ],
      acknowledged: [
        () => ({ type: 'assign', data: { assigneeId: pick(['tech-1', 'tech-2']) }, actor: STAFF }),
        () => ({ type: 'note', data: { body: 'Looking into it', visibility: 'public' }, actor: STAFF }),
        () => ({ type: 'record_overdue', data: { clock: 'update' }, actor: SLA_ACTOR }),
      ],
      in_progress: [
        () => ({ type: 'hold', data: { reason: 'waiting for parts' }, actor: STAFF }),
        () => ({ type: 'note', data: { body: 'Parts ordered', visibility: pick(['public', 'internal'] as const) }, actor: STAFF }),
        () => ({ type: 'resolve', data: { resolution: 'Fixed' }, actor: STAFF }),
        () => ({ type: 'resolve', data: { resolution: 'Fixed' }, actor: STAFF }),
        () => ({ type: 'escalate', data: { reason: 'resident called again' }, actor: STAFF }),
        () => ({ type: 'record_overdue', data: { clock: pick(['update', 'resolution'] as const) }, actor: SLA_ACTOR }),
        () => {
          const linked = other()
          return linked ? { type: 'link', data: { caseId: linked }, actor: STAFF } : null
        },
      ],
      on_hold: [
        () => ({ type: 'resume', data: {}, actor: STAFF }),
        () => ({ type: 'note', data: { body: 'Still waiting', visibility: 'internal' }, actor: STAFF }),
        () => ({ type: 'record_overdue', data: { clock: 'response' }, actor: SLA_ACTOR }),
      ],
      resolved: [
        () => ({ type: 'follow_up', data: { rating: pick([1, 2, 3, 4, 5, 5, 4]), method: 'phone' }, actor: STAFF }),
        () => ({ type: 'review', data: { rootCause: 'wear', lessons: 'inspect monthly', preventiveActions: ['inspect'], typical: chance(0.2) }, actor: MANAGER }),
        () => (chance(0.2) ? { type: 'reopen', data: { reason: 'still broken' }, actor: resident } : null),
      ],
      followed_up: [
        () => ({ type: 'review', data: { rootCause: 'wear', lessons: 'inspect monthly', preventiveActions: [], typical: false }, actor: MANAGER }),
        () => ({ type: 'close', data: {}, actor: STAFF }),
        () => ({ type: 'close', data: {}, actor: STAFF }),
      ],
      closed: [() => (chance(0.05) ? { type: 'reopen', data: { reason: 'came back' }, actor: resident } : null)],
      merged: [() => (chance(0.3) ? { type: 'unmerge', data: {}, actor: STAFF } : null)],
      withdrawn: [],
    }
    const report: CaseCommand = {
      type: 'report',
      caseId,
      actor: resident,
      data: {
        kind: pick(KINDS),
        category: pick(CATEGORIES),
        title: 'Something is wrong',
        description: 'Details of the problem',
        channel: pick(['app', 'hotline', 'wechat'] as const),
        priority: pick(PRIORITIES),
        location: { building: pick(BUILDINGS), unit: `${1 + Math.floor(random() * 6)}0${1 + Math.floor(random() * 4)}` },
        reporter: sealedForTest('resident'),
      },
    }
    const decide = (command: CaseCommand) => {
      try {
        const events = caseDecider.decide(command, state, { now: new Date(now).toISOString(), slaPolicy: DEFAULT_SLA_POLICY })
        for (const event of events) {
          state = caseDecider.evolve(state, event)
          decided.push({
            eventId: randomUUID(),
            ...caseEventCodec.toStored(event),
            metadata: {
              actor: { id: command.actor.id, roles: [...command.actor.roles] },
              occurredAt: new Date(now).toISOString(),
              correlationId: randomUUID(),
              causationId: null,
              prevHash: ZERO_HASH,
              hash: ZERO_HASH,
            },
          })
        }
      } catch {
        // A command the decider refuses (a rule, a transition): the history just does not contain it.
      }
    }
    decide(report)
    for (let step = 0; step < 16; step++) {
      if (state.status === 'none') break
      if ((state.status === 'closed' || state.status === 'withdrawn') && chance(0.7)) break
      const options = steps[state.status] ?? []
      if (options.length === 0) break
      // Minutes to days between commands: enough for every SLA clock to be met, missed and paused.
      now += Math.floor((chance(0.6) ? random() * 300 : random() * 5 * 24 * 60) * 60_000)
      const command = pick(options)(state)
      if (command) decide(command)
    }
    const streamId = `case-${caseId}`
    cases.push({ caseId, streamId, events: sealEvents(streamId, 0n, ZERO_HASH, decided) as NewEvent[], state })
    ids.push(caseId)
  }
  return cases
}

/** Appends each case's history in one append, `concurrency` cases at a time. */
export async function appendHistories(store: EventStore, cases: readonly GeneratedCase[], concurrency = 8): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < cases.length) {
        const c = cases[next++]!
        if (c.events.length > 0) await store.append(c.streamId, c.events, { expectedRevision: 'no_stream' })
      }
    }),
  )
}
