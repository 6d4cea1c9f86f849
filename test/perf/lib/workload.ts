import { createHash, randomUUID } from 'node:crypto'
import type { NewEvent } from '@pc/event-store'

/**
 * The events of shapes 1–3, the same for every contender: a case note of about the size the command side writes
 * (data plus the envelope's metadata with its hash chain fields), generated before any clock starts.
 */

export interface BenchEvent extends NewEvent {
  /** Index of the event in its workload: what catch-up readers count to find missed and duplicated events. */
  n: number
}

/** One append: `events` go to `streamId` right after `revision - 1` (0 means the stream does not exist yet). */
export interface PlannedAppend {
  streamId: string
  revision: number
  events: BenchEvent[]
}

const BODY = 'Plumber booked for Tuesday 14:00; the resident was told by phone and will leave the key with the concierge.'
const HEX = 'ab'.repeat(32)

export function benchEvent(n: number, streamId: string): BenchEvent {
  const at = new Date(Date.UTC(2026, 0, 5) + n * 1000).toISOString()
  return {
    n,
    eventId: randomUUID(),
    type: 'CaseNoteAdded',
    schemaVersion: 1,
    data: { caseId: streamId.slice('case-'.length), noteId: n, body: BODY, visibility: 'public', n, at },
    metadata: {
      actor: { id: 'staff-17', roles: ['staff'] },
      occurredAt: at,
      correlationId: randomUUID(),
      causationId: null,
      prevHash: HEX,
      hash: HEX,
    },
  }
}

/**
 * Stream ids. With a seed they are the same in every process, so a workload split into rounds run by different
 * child processes continues the same streams; without one they are fresh (warm-ups).
 */
export function streamNames(count: number, prefix = 'case-', seed?: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    if (seed === undefined) return `${prefix}${randomUUID()}`
    const hex = createHash('sha256').update(`${seed}:${prefix}:${i}`).digest('hex')
    return `${prefix}${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`
  })
}

export interface PlanOptions {
  prefix?: string
  seed?: number
}

/** `events` single-event appends, round-robin over `streams` streams (event i → stream i mod streams). */
export function singleEventPlan(events: number, streams: number, options: PlanOptions = {}): PlannedAppend[] {
  const names = streamNames(Math.min(events, streams), options.prefix, options.seed)
  return Array.from({ length: events }, (_, i) => {
    const streamId = names[i % names.length]!
    return { streamId, revision: Math.floor(i / names.length), events: [benchEvent(i, streamId)] }
  })
}

/** `batches` appends of `batchSize` events, round-robin over `streams` streams. */
export function batchPlan(batches: number, batchSize: number, streams: number, options: PlanOptions = {}): PlannedAppend[] {
  const names = streamNames(Math.min(batches, streams), options.prefix, options.seed)
  return Array.from({ length: batches }, (_, j) => {
    const streamId = names[j % names.length]!
    const first = j * batchSize
    return {
      streamId,
      revision: Math.floor(j / names.length) * batchSize,
      events: Array.from({ length: batchSize }, (_, k) => benchEvent(first + k, streamId)),
    }
  })
}

/**
 * Splits a plan over concurrent appenders by stream, so no two appenders write one stream and every expected
 * revision is known in advance; each appender keeps the plan's order.
 */
export function byAppender(plan: readonly PlannedAppend[], appenders: number): PlannedAppend[][] {
  const lanes: PlannedAppend[][] = Array.from({ length: appenders }, () => [])
  const laneOf = new Map<string, number>()
  for (const step of plan) {
    let lane = laneOf.get(step.streamId)
    if (lane === undefined) {
      lane = laneOf.size % appenders
      laneOf.set(step.streamId, lane)
    }
    lanes[lane]!.push(step)
  }
  return lanes
}

/** The part of a plan that round `round` of `rounds` runs: consecutive slices, in plan order. */
export function roundSlice<T>(plan: readonly T[], round: number, rounds: number): T[] {
  return plan.slice(Math.floor((round * plan.length) / rounds), Math.floor(((round + 1) * plan.length) / rounds))
}

/** Runs a plan with `appenders` concurrent appenders and returns the wall time in seconds. */
export async function timePlan(
  plan: readonly PlannedAppend[],
  appenders: number,
  append: (step: PlannedAppend) => Promise<unknown>,
): Promise<number> {
  const lanes = byAppender(plan, appenders)
  const started = performance.now()
  await Promise.all(
    lanes.map(async (lane) => {
      for (const step of lane) await append(step)
    }),
  )
  return (performance.now() - started) / 1000
}

export function countEvents(plan: readonly PlannedAppend[]): number {
  return plan.reduce((sum, step) => sum + step.events.length, 0)
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Peak resident set size of this process so far, in MB. */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024
}

/**
 * Counts what a catch-up reader delivers against the `n` of every written event: how many arrived, how many
 * never did, how many came more than once.
 */
export class DeliveryTally {
  readonly #seen: Uint8Array
  delivered = 0
  duplicated = 0
  distinct = 0

  constructor(readonly expected: number) {
    this.#seen = new Uint8Array(expected)
  }

  add(n: number): void {
    this.delivered++
    if (n < 0 || n >= this.expected) throw new RangeError(`event number ${n} was never written`)
    if (this.#seen[n]) this.duplicated++
    else {
      this.#seen[n] = 1
      this.distinct++
    }
  }

  get missed(): number {
    return this.expected - this.distinct
  }
}
