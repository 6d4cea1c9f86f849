import type { CasesDatabase } from './cases/case.tables.js'
import type { CheckpointsDatabase } from './checkpoint.tables.js'
import type { DisclosuresDatabase } from './disclosures/disclosure.tables.js'
import type { LedgerDatabase } from './ledger/ledger.tables.js'
import type { MediationDatabase } from './mediation/mediation.tables.js'

/**
 * The read-model schema as kysely sees it, put together from each feature's table types (kysely's
 * `example/src/database.ts` style). Repository functions and projection handlers take `Kysely<Database>` or a
 * transaction of it as their first argument.
 */
export interface Database extends CheckpointsDatabase, CasesDatabase, LedgerDatabase, DisclosuresDatabase, MediationDatabase {}
