import { evolve, initialCaseState, type ActiveCaseState, type CaseState } from '@pc/domain'
import type { EventStore, RecordedEvent } from '@pc/event-store'
import { decodeCaseEvent, occurredAt } from '@pc/read-models'

/** Which moment of a case's history to rebuild: after the event at `revision`, or as it stood at `asOf`. */
export type HistoryPoint = { revision: bigint } | { asOf: string }

export interface CaseHistoryState {
  /** The revision of the last event folded. */
  revision: bigint
  position: bigint
  /** `asOf` as asked, or, for a revision, the time of the event at that revision. */
  asOf: string
  state: ActiveCaseState
}

// Below this a revision is read with `maxCount` (a number); a larger one can only be past the stream's end anyway.
const MAX_COUNTED_REVISION = 1_000_000_000n

/**
 * A case's state at a point of its history, folded from the event store with the domain's own `evolve` — never from
 * a read model, so an auditor sees what the log says even if a projection were wrong. Mediation events live on the
 * dispute's own stream and are folded too (the case state carries the mediation), so one replay is the whole dispute.
 *
 * `asOf` folds the events in stream order up to the first one that happened after it: the state as of a moment is
 * always a prefix of the history (with clocks that agree, the last event at or before the moment). Returns null
 * when the case did not exist at that point (no such case, a revision past its end, a moment before its report).
 *
 * @example
 * const h = await replayCase(store, caseId, { revision: 12n }) // state after its 13th event
 */
export async function replayCase(store: EventStore, caseId: string, point: HistoryPoint): Promise<CaseHistoryState | null> {
  const counted = 'revision' in point && point.revision < MAX_COUNTED_REVISION
  const events = store.readStream(`case-${caseId}`, counted ? { maxCount: Number(point.revision) + 1 } : {})
  let state: CaseState = initialCaseState
  let last: { event: RecordedEvent; at: string } | null = null
  for await (const event of events) {
    const decoded = decodeCaseEvent(event)
    const at = occurredAt(event, decoded)
    if ('asOf' in point && Date.parse(at) > Date.parse(point.asOf)) break
    if (decoded) state = evolve(state, decoded)
    last = { event, at }
  }
  if (!last || state.status === 'none') return null
  if ('revision' in point && last.event.revision !== point.revision) return null
  return {
    revision: last.event.revision,
    position: last.event.position,
    asOf: 'asOf' in point ? new Date(Date.parse(point.asOf)).toISOString() : last.at,
    state,
  }
}
