import type { CommitteeReviewDecision, DisclosureContent, DisclosureDraft, DisclosureKind } from '@pc/contracts'

/** One published version. Once in the state it is never replaced or changed; a correction adds the next one. */
export interface DisclosureVersion {
  /** 1-based. */
  readonly version: number
  readonly content: DisclosureContent
  readonly contentHash: string
  readonly publishedAt: string
  /** The previous version's `contentHash`; `null` for version 1. */
  readonly previousHash: string | null
  /** Why the correction was made; `null` for version 1. */
  readonly reason: string | null
}

/** A committee member's (业委会) finding on one version. */
export interface CommitteeReview {
  readonly reviewerId: string
  readonly decision: CommitteeReviewDecision
  readonly note: string
  readonly version: number
  readonly contentHash: string
  readonly at: string
}

interface PublishedFields {
  readonly disclosureId: string
  readonly kind: DisclosureKind
  /** Oldest first; never empty. */
  readonly versions: readonly [DisclosureVersion, ...DisclosureVersion[]]
  /** Comments so far; the next one is `comment-<commentCount + 1>`. */
  readonly commentCount: number
  readonly objectionCount: number
  readonly reviews: readonly CommitteeReview[]
}

/**
 * A disclosure (公示) as its events left it: `none` before `DisclosureDrafted`, then draft → published →
 * retracted. A retracted disclosure keeps every version (still readable, marked retracted).
 */
export type DisclosureState =
  | { readonly status: 'none' }
  | {
      readonly status: 'draft'
      readonly disclosureId: string
      readonly draft: DisclosureDraft
      readonly draftedAt: string
      readonly revisedAt: string | null
    }
  | ({ readonly status: 'published' } & PublishedFields)
  | ({ readonly status: 'retracted'; readonly retractedAt: string; readonly retractReason: string } & PublishedFields)

export type DisclosureStatusName = DisclosureState['status']

export const initialDisclosureState: DisclosureState = Object.freeze({ status: 'none' })

/** The version in force: the last one. */
export function currentVersion(state: Extract<DisclosureState, PublishedFields>): DisclosureVersion {
  return state.versions[state.versions.length - 1]!
}
