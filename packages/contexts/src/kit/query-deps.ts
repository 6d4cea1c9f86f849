import type { EventStore } from '@pc/event-store'
import type { PersonalDataVault } from '@pc/personal-data'
import type { Config } from '@pc/platform'
import type { Database } from '@pc/read-models'
import type { Kysely } from 'kysely'

/** How long `waitFor` waits by default (DESIGN §5). */
export const WAIT_FOR_TIMEOUT_MS = 5_000

/**
 * What every context's query routes are given by the query API: the read models, the event store (history
 * replay, raw events), the configuration, and the clock. Passed as plugin options, never looked up.
 */
export interface QueryDeps {
  /** The read models, typed. */
  readonly db: Kysely<Database>
  readonly store: EventStore
  readonly config: Config
  /** Opens personal fields at query time for the readers who may see them (DESIGN §7). */
  readonly vault: PersonalDataVault
  /** The clock SLA time-left and overdue are measured with. Tests move it. */
  readonly now: () => Date
  /** How long `waitFor` waits before answering anyway. */
  readonly waitForTimeoutMs: number
}
