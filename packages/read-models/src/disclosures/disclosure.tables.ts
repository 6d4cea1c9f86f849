import type { ColumnType } from 'kysely'
import type {
  CommitteeReviewDecision,
  DisclosureContent,
  DisclosureDraft,
  DisclosureKind,
  DisclosureStatus,
} from '@pc/contracts'

/**
 * The disclosure read models as kysely sees them (migration 0009, `disclosure.projection.ts`).
 * - int8 columns come back from pg as decimal strings: convert with `BigInt`, never `Number`.
 * - timestamptz columns come back as `Date`; write them as ISO strings.
 * - Dates and times copied out of a disclosure's content (`period_*`, `effective_at`, `comment_period_ends_at`) are
 *   text, returned exactly as published.
 */

type Int8 = ColumnType<string, bigint | string, bigint | string>
type Timestamp = ColumnType<Date, string, string>
type NullableTimestamp = ColumnType<Date | null, string | null, string | null>
type Json<T> = ColumnType<T, string, string>

/** One row per disclosure: the list and the detail's header. */
export interface DisclosureListTable {
  disclosure_id: string
  /** The stream revision of the last event applied (the `If-Match` a client would send). */
  revision: Int8
  position: Int8
  status: DisclosureStatus
  kind: DisclosureKind
  title: string
  /** The current version; null while a draft. */
  version: number | null
  content_hash: string | null
  period_from: string | null
  period_to: string | null
  effective_at: string | null
  comment_period_ends_at: string | null
  comment_count: number
  objection_count: number
  drafted_at: Timestamp
  /** When version 1 was published. */
  published_at: NullableTimestamp
  retracted_at: NullableTimestamp
  retract_reason: string | null
  updated_at: Timestamp
  /** The working draft while the disclosure is one (managers only); null once published. */
  draft: ColumnType<DisclosureDraft | null, string | null, string | null>
  reviews: Json<StoredReview[]>
}

/** A committee member's (业委会) finding on one version, as kept in `disclosure_list.reviews`. */
export interface StoredReview {
  reviewerId: string
  decision: CommitteeReviewDecision
  note: string
  version: number
  contentHash: string
  at: string
}

/** Every published version, content exactly as in its event. */
export interface DisclosureVersionsTable {
  disclosure_id: string
  version: number
  content: Json<DisclosureContent>
  content_hash: string
  previous_hash: string | null
  reason: string | null
  published_at: Timestamp
  position: Int8
}

export interface DisclosureCommentsTable {
  disclosure_id: string
  /** The n of `comment-<n>`: the order comments were made in. */
  seq: number
  comment_id: string
  author_id: string
  body: string
  version: number
  at: Timestamp
}

/** Objections and the complaint case each one opens (its id derived from the objection id). */
export interface DisclosureObjectionsTable {
  disclosure_id: string
  objection_id: string
  case_id: string
  objector_id: string
  reason: string
  version: number
  at: Timestamp
  position: Int8
}

export interface DisclosuresDatabase {
  disclosure_list: DisclosureListTable
  disclosure_versions: DisclosureVersionsTable
  disclosure_comments: DisclosureCommentsTable
  disclosure_objections: DisclosureObjectionsTable
}
