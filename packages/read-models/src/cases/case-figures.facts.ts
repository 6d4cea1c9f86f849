import type { CaseKind, CaseStatus } from '@pc/contracts'
import { initialCaseState, type ActiveCaseState } from '@pc/domain'
import type { RecordedEvent } from '@pc/event-store'
import { caseIdOf, decodeCaseEvent, evolveCase } from './case-events.js'

/**
 * What the case figures need to know about one case, updated event by event. The domain's `evolve` decides the
 * status and the SLA clocks; this only measures them:
 *
 * - **Running time** is wall-clock time while the case's resolution clock runs — open and not on hold, not
 *   merged — exactly when the domain's SLA resolution clock runs (`sla.resolution.stoppedAt === null`).
 * - **Time to first response**: running time from the report to the first response (acknowledge or assign).
 * - **Time to resolution**: running time from the report to the current resolution. After a reopen the clock
 *   continues where it stood (DESIGN §4), so a second resolution counts both stretches.
 * - **SLA targets met**: response and resolution, each once decided (`respondedAt`/`resolvedAt` by the due time).
 * - **Satisfaction**: every follow-up rating counts. **Reopens** and **resolutions** are counted.
 */
export interface CaseFigureFacts {
  caseId: string
  /** `YYYY-MM` of the report, in China time (UTC+8) — the month a manager would file it under. */
  month: string
  category: string
  building: string
  kind: CaseKind
  status: CaseStatus
  reportedAt: string
  /** When the running clock last started; null while it is stopped. */
  clockStartedAt: string | null
  /** Running time accumulated up to `clockStartedAt` (or in total, while stopped), in milliseconds. */
  clockMs: number
  firstResponseMinutes: number | null
  resolutionMinutes: number | null
  responseMet: boolean | null
  resolutionMet: boolean | null
  resolvedCount: number
  reopenCount: number
  ratingSum: number
  ratingCount: number
}

/** Months are filed in China time whatever the server's zone. */
export const FIGURES_UTC_OFFSET_MINUTES = 480

const ms = (iso: string) => Date.parse(iso)

export function monthOf(iso: string): string {
  return new Date(ms(iso) + FIGURES_UTC_OFFSET_MINUTES * 60_000).toISOString().slice(0, 7)
}

/**
 * The facts after one event, given the case's state before and after it (from the domain's `evolve`), the event's
 * type and time. `before` is null for the report.
 */
export function evolveFigureFacts(
  facts: CaseFigureFacts | null,
  before: ActiveCaseState | null,
  after: ActiveCaseState,
  event: { type: string; at: string; rating?: number },
): CaseFigureFacts {
  const base: CaseFigureFacts = facts ?? {
    caseId: after.id,
    month: monthOf(after.reportedAt),
    category: after.category,
    building: after.location.building,
    kind: after.kind,
    status: after.status,
    reportedAt: after.reportedAt,
    clockStartedAt: null,
    clockMs: 0,
    firstResponseMinutes: null,
    resolutionMinutes: null,
    responseMet: null,
    resolutionMet: null,
    resolvedCount: 0,
    reopenCount: 0,
    ratingSum: 0,
    ratingCount: 0,
  }
  const next: CaseFigureFacts = { ...base, status: after.status, reopenCount: after.reopenCount }

  const wasRunning = before !== null && before.sla.resolution.stoppedAt === null
  const runs = after.sla.resolution.stoppedAt === null
  // Running time up to this event, whether or not the clock goes on.
  const runningNow = next.clockMs + (wasRunning && next.clockStartedAt ? ms(event.at) - ms(next.clockStartedAt) : 0)
  if (wasRunning && !runs) {
    next.clockMs = runningNow
    next.clockStartedAt = null
  } else if (!wasRunning && runs) {
    next.clockStartedAt = event.at
  }

  const { response, resolution } = after.sla
  if (response.respondedAt !== null && base.firstResponseMinutes === null) {
    next.firstResponseMinutes = runningNow / 60_000
    next.responseMet = ms(response.respondedAt) <= ms(response.dueAt)
  }
  if (resolution.resolvedAt === null) {
    next.resolutionMinutes = null
    next.resolutionMet = null
  } else if (before?.sla.resolution.resolvedAt == null) {
    next.resolutionMinutes = runningNow / 60_000
    next.resolutionMet = ms(resolution.resolvedAt) <= ms(resolution.dueAt)
  }
  if (event.type === 'CaseResolved') next.resolvedCount = base.resolvedCount + 1
  if (event.type === 'CaseFollowedUp' && event.rating !== undefined) {
    next.ratingSum = base.ratingSum + event.rating
    next.ratingCount = base.ratingCount + 1
  }
  return next
}

export interface CaseFigureEntry {
  state: ActiveCaseState
  facts: CaseFigureFacts
}

/**
 * Folds events (of any cases, in order) onto `entries`, in place; returns the ids of the cases touched. The one
 * fold behind both the read model and `computeCaseFigures`, so the two differ only in where the facts are kept and
 * how they are aggregated (SQL there, plain code here).
 */
export function foldFigureFacts(
  entries: Map<string, CaseFigureEntry>,
  events: Iterable<Pick<RecordedEvent, 'streamId' | 'type' | 'schemaVersion' | 'data'>>,
): Set<string> {
  const touched = new Set<string>()
  for (const event of events) {
    const decoded = decodeCaseEvent(event)
    if (!decoded) continue
    const caseId = caseIdOf(event.streamId)
    const entry = entries.get(caseId)
    const before = entry?.state ?? null
    const after = evolveCase(before ?? initialCaseState, decoded)
    if (after.status === 'none') throw new Error(`${event.type} on ${event.streamId} before CaseReported`)
    const rating = decoded.type === 'CaseFollowedUp' ? { rating: decoded.data.rating } : {}
    const facts = evolveFigureFacts(entry?.facts ?? null, before, after, { type: decoded.type, at: decoded.data.at, ...rating })
    entries.set(caseId, { state: after, facts })
    touched.add(caseId)
  }
  return touched
}
