import type { Migration } from 'kysely'
import { ledger } from '../migrations/0007-ledger.js'
import { ledgerKeys } from '../migrations/0010-ledger-keys.js'

/**
 * The ledger's migrations, keyed as in `readModelMigrations` (where it belongs once listed there). Tests and tools
 * that migrate a database for the ledger alone spread it in: `{ ...readModelMigrations, ...ledgerMigrations }`.
 */
export const ledgerMigrations: Readonly<Record<string, Migration>> = Object.freeze({ '0007-ledger': ledger, '0010-ledger-keys': ledgerKeys })
