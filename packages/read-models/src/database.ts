import type { CheckpointsDatabase } from './checkpoints.js'

/**
 * The read-model schema as kysely sees it, put together from each feature's table types (kysely's
 * `example/src/database.ts` style). Repository functions and projection handlers take `Kysely<Database>` or a
 * transaction of it as their first argument.
 */
export interface Database extends CheckpointsDatabase {}
