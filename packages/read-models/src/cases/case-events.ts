import { isCaseStreamEventType, weakMemo, type CaseStreamEvent } from '@pc/contracts'
import { caseEventCodec, evolve, initialCaseState, type ActiveCaseState, type CaseState } from '@pc/domain'
import type { EventFilter, RecordedEvent } from '@pc/event-store'

/** Every case projection reads the case streams only (`case-<uuid>`, DESIGN §4). */
export const CASE_STREAMS: EventFilter = Object.freeze({ streamPrefix: Object.freeze(['case-']) as unknown as string[] })

/** `case-<uuid>` → `<uuid>`. */
export function caseIdOf(streamId: string): string {
  if (!streamId.startsWith('case-')) throw new Error(`not a case stream: ${streamId}`)
  return streamId.slice('case-'.length)
}

/**
 * The stored event as the domain sees it (upcast to the latest schema and validated): a case event or a dispute's
 * mediation event (issue 5), which the domain's `evolve` folds into the case's mediation slot. Null for an event
 * of a type this code does not know, which the case fold passes over.
 */
export function decodeCaseEvent(event: Pick<RecordedEvent, 'type' | 'schemaVersion' | 'data'>): CaseStreamEvent | null {
  if (!isCaseStreamEventType(event.type)) return null
  return decodeOnce(event)
}

// Every case projection decodes the same delivered event (a rebuild hands one object to all of them): upcast and
// validate it once. The decoded event is never mutated.
const decodeOnce = weakMemo((event: Pick<RecordedEvent, 'type' | 'schemaVersion' | 'data'>) => caseEventCodec.fromStored(event))

/** When an event happened: the events' own `at`, else (events of unknown types) the envelope's time. */
export function occurredAt(event: Pick<RecordedEvent, 'data' | 'metadata'>, decoded: CaseStreamEvent | null): string {
  if (decoded) return decoded.data.at
  const at = event.data['at']
  return typeof at === 'string' ? at : event.metadata.occurredAt
}

export interface FoldedCase {
  state: ActiveCaseState
  /** The last event of this case in the batch (for revision, position and time). */
  last: RecordedEvent
  lastAt: string
}

/**
 * Folds a batch of case events onto the states read from a read model, with the domain's own `evolve`: a read
 * model never re-derives a rule (status transitions, SLA deadlines, escalation levels) the decider owns.
 * Returns the cases the batch touched.
 */
export function foldCases(states: ReadonlyMap<string, ActiveCaseState>, events: readonly RecordedEvent[]): Map<string, FoldedCase> {
  const folded = new Map<string, FoldedCase>()
  for (const event of events) {
    const caseId = caseIdOf(event.streamId)
    const decoded = decodeCaseEvent(event)
    const before: CaseState = folded.get(caseId)?.state ?? states.get(caseId) ?? initialCaseState
    const after = decoded ? evolveCase(before, decoded) : before
    if (after.status === 'none') throw new Error(`${event.type} on ${event.streamId} before CaseReported`)
    folded.set(caseId, { state: after, last: event, lastAt: occurredAt(event, decoded) })
  }
  return folded
}

/**
 * The domain's `evolve`, remembered per decoded event: the case projections fold the same events from the same
 * states (a rebuild hands them one event object, and a new case starts from `initialCaseState`), so each step is
 * computed once. Only a step from the very same state object is reused; `evolve` is pure and states are never
 * mutated.
 */
export function evolveCase(before: CaseState, event: CaseStreamEvent): CaseState {
  const step = lastStepOf(event)
  if (step.before !== before) {
    step.before = before
    step.after = evolve(before, event)
  }
  return step.after!
}

const lastStepOf = weakMemo((_event: CaseStreamEvent): { before?: CaseState; after?: CaseState } => ({}))

/**
 * The state as a read model keeps it: the domain's own, personal fields as their envelopes (DESIGN §7), opened at
 * query time. The same state object is written by several projections (see `evolveCase`), so it is serialised once.
 */
export const storedState = weakMemo((state: ActiveCaseState): string => JSON.stringify(state))
