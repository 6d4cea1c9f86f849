import type { ColumnType } from 'kysely'
import type { MediationOutcome, MediationReferral, MediationView, Sealed } from '@pc/contracts'

/**
 * The mediation read models (migration 0008): the current and past mediations of dispute cases, and the terms of
 * reached agreements the SLA worker watches. int8 come back as decimal strings, timestamptz as `Date`.
 */

type Int8 = ColumnType<string, bigint | string, bigint | string>
type Timestamp = ColumnType<Date, string, string>
type NullableTimestamp = ColumnType<Date | null, string | null, string | null>

/** What `view` holds: the mediation as the API shows it, without names (personal data stays in the events). */
export type StoredMediationView = Omit<MediationView, 'revision' | 'position' | 'parties'> & { parties: StoredMediationParty[] }

/** A party as the read model keeps it: the name only as its envelope (DESIGN §7), opened at query time. */
export interface StoredMediationParty {
  partyId: string
  role: MediationView['parties'][number]['role']
  unit: string | null
  contact: Sealed | null
}

/** One row per mediation; a dispute's current one is its latest `opened_at`. */
export interface CaseMediationTable {
  mediation_id: string
  case_id: string
  status: 'open' | 'concluded'
  mediator_id: string
  outcome: MediationOutcome | null
  referred_to: MediationReferral | null
  opened_at: Timestamp
  deadline_at: Timestamp
  /** The SLA worker recorded the current deadline as passed. */
  deadline_passed: boolean
  concluded_at: NullableTimestamp
  days_to_conclusion: number | null
  /** The case stream's revision and global position after the last mediation event applied. */
  revision: Int8
  position: Int8
  view: ColumnType<StoredMediationView, string, string>
}

/** One row per term of a reached agreement: what the SLA worker's fulfilment watcher reads. */
export interface CaseMediationTermsTable {
  agreement_id: string
  term_index: number
  mediation_id: string
  case_id: string
  party_id: string
  due_at: Timestamp
  fulfilled: boolean | null
  overdue_recorded: boolean
}

export interface MediationDatabase {
  case_mediation: CaseMediationTable
  case_mediation_terms: CaseMediationTermsTable
}
