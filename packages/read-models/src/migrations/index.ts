import type { Migration } from 'kysely'
import { projectionCheckpoints } from './0001-projection-checkpoints.js'
import { caseList } from './0002-case-list.js'
import { caseTimeline } from './0003-case-timeline.js'
import { caseSla } from './0004-case-sla.js'
import { caseFigures } from './0005-case-figures.js'
import { ledger } from './0007-ledger.js'
import { mediation } from './0008-mediation.js'
import { disclosures } from './0009-disclosures.js'
import { ledgerKeys } from './0010-ledger-keys.js'

/**
 * Every read-model migration, in order. A static list rather than a folder scan: it works the same under tsx,
 * in a bundle and in tests, and a reader sees the whole history in one place. Never edit a shipped entry; add one.
 */
export const readModelMigrations: Readonly<Record<string, Migration>> = Object.freeze({
  '0001-projection-checkpoints': projectionCheckpoints,
  '0002-case-list': caseList,
  '0003-case-timeline': caseTimeline,
  '0004-case-sla': caseSla,
  '0005-case-figures': caseFigures,
  '0007-ledger': ledger,
  '0008-mediation': mediation,
  '0009-disclosures': disclosures,
  '0010-ledger-keys': ledgerKeys,
})
