import type { Migration } from 'kysely'
import { projectionCheckpoints } from './0001-projection-checkpoints.js'

/**
 * Every read-model migration, in order. A static list rather than a folder scan: it works the same under tsx,
 * in a bundle and in tests, and a reader sees the whole history in one place. Never edit a shipped entry; add one.
 */
export const readModelMigrations: Readonly<Record<string, Migration>> = Object.freeze({
  '0001-projection-checkpoints': projectionCheckpoints,
})

