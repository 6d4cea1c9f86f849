import { isCaseEventType, type CaseEvent } from '@pc/contracts'
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
 * The stored event as the domain sees it (upcast to the latest schema and validated), or null for an event on a
 * case stream that is not a case event (a mediation event, issue 5), which the case fold passes over.
 */
export function decodeCaseEvent(event: Pick<RecordedEvent, 'type' | 'schemaVersion' | 'data'>): CaseEvent | null {
  if (!isCaseEventType(event.type)) return null
  return caseEventCodec.fromStored(event)
}

/** When an event happened: the case events' own `at`, else (events of other contexts) the envelope's time. */
export function occurredAt(event: Pick<RecordedEvent, 'data' | 'metadata'>, decoded: CaseEvent | null): string {
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
    const after = decoded ? evolve(before, decoded) : before
    if (after.status === 'none') throw new Error(`${event.type} on ${event.streamId} before CaseReported`)
    folded.set(caseId, { state: after, last: event, lastAt: occurredAt(event, decoded) })
  }
  return folded
}

/** The state as a read model keeps it: without the reporter's contact details (personal data, DESIGN §7). */
export function storedState(state: ActiveCaseState): string {
  return JSON.stringify({ ...state, reporter: null })
}
