import type { Transaction } from 'kysely'
import type { DeliveredEvent, EventFilter } from '@pc/event-store'
import type { Database } from './database.js'

/**
 * A projection: a named, versioned fold of the event log into some read-model tables.
 *
 * `handle` receives a batch of events in delivery order inside the transaction that also moves the projection's
 * checkpoint past them, so its writes and the checkpoint commit together or not at all (exactly once across
 * crashes). It must only touch its own `tables`, by unqualified name: a rebuild runs the same handler with the
 * search path pointed at a fresh schema.
 *
 * @example
 * export const caseListProjection: Projection = {
 *   name: 'case-list',
 *   version: 1,
 *   tables: ['case_list'],
 *   filter: { streamPrefix: ['case-'] },
 *   handle: perEvent(async (trx, event) => { ... }),
 * }
 */
export interface Projection {
  /** Stable name; keys the checkpoint row and the lease. */
  readonly name: string
  /** Bump when the handler's output changes: a runner that finds rows built by another version rebuilds them. */
  readonly version: number
  /** Tables this projection owns (created by the read-model migrations); a rebuild swaps exactly these. */
  readonly tables: readonly string[]
  /** Events outside the filter are not handed to `handle`, but the checkpoint still moves past them. */
  readonly filter?: EventFilter
  handle(trx: Transaction<Database>, events: readonly DeliveredEvent[]): Promise<void>
}

/** Adapts a per-event handler to the batch contract; the events still share one transaction. */
export function perEvent(
  apply: (trx: Transaction<Database>, event: DeliveredEvent) => Promise<void>,
): Projection['handle'] {
  return async (trx, events) => {
    for (const event of events) await apply(trx, event)
  }
}
