import { z } from 'zod'
import { IsoDateTime, TextLimit, UserId, Uuid, text } from '../common.js'
import type { EventHistory, EventTypeRegistry, UpcasterRegistry } from '../event-registry.js'
import { createEventReader } from '../upcasters.js'
import { CommitteeReviewDecision, DisclosureContent, DisclosureDraft, DisclosureKind, Sha256Hex } from './values.js'

/**
 * The data of every disclosure event, latest schema version. Like the case events, each carries `at` (from the
 * command's clock) and whatever a read model needs without another stream; who did it is `metadata.actor`, and
 * data names a person only where the person is the subject (a comment's author, an objector, a reviewer).
 *
 * A published version's `content` is stored whole with its `contentHash`, so the API returns the stored object
 * and anyone can recompute the hash from what they were given.
 */

const at = IsoDateTime
const reason = () => text(TextLimit.reason)
/** 1-based number of a published version. */
const Version = z.number().int().min(1)

export const DisclosureDraftedData = z.strictObject({ disclosureId: Uuid, draft: DisclosureDraft, at })

/** The whole draft, replacing the previous one (drafts are not versioned; only publications are). */
export const DisclosureRevisedData = z.strictObject({ draft: DisclosureDraft, at })

/** Version 1. `at` is its publication time. */
export const DisclosurePublishedData = z.strictObject({
  version: z.literal(1),
  content: DisclosureContent,
  contentHash: Sha256Hex,
  at,
})

/** Version n + 1; the versions before it stay as they were. */
export const DisclosureCorrectedData = z.strictObject({
  version: Version.min(2),
  content: DisclosureContent,
  contentHash: Sha256Hex,
  /** `contentHash` of version n: the versions form a chain a reader can follow back to version 1. */
  previousHash: Sha256Hex,
  reason: reason(),
  at,
})

export const DisclosureCommentedData = z.strictObject({
  /** `comment-<n>`, numbered within the disclosure. */
  commentId: z.string().regex(/^comment-[1-9][0-9]*$/),
  authorId: UserId,
  body: text(TextLimit.reason),
  /** The version that was current when the comment was made. */
  version: Version,
  at,
})

/**
 * A resident's objection (异议). A reactor opens a complaint case linked to the disclosure from this event alone;
 * `objectionId` is a fresh uuid written once, so the reactor can use it as the case id and a retry finds the case
 * already there instead of opening a second one.
 */
export const DisclosureObjectedData = z.strictObject({
  objectionId: Uuid,
  disclosureId: Uuid,
  disclosureKind: DisclosureKind,
  disclosureTitle: z.string(),
  /** The resident who objects: the linked case's reporter. */
  objectorId: UserId,
  /** The objector's units (JWT `units`), to place the case; `[]` when the token names none. */
  objectorUnits: z.array(z.string()),
  reason: reason(),
  version: Version,
  at,
})

/** A committee member's finding on one version, identified by its hash. */
export const CommitteeReviewRecordedData = z.strictObject({
  reviewerId: UserId,
  decision: CommitteeReviewDecision,
  note: reason(),
  version: Version,
  contentHash: Sha256Hex,
  at,
})

/** Withdrawn from force; every version stays readable, marked retracted. */
export const DisclosureRetractedData = z.strictObject({
  reason: reason(),
  /** The version current at retraction. */
  version: Version,
  at,
})

/** Event type → latest schema version and its data schema. */
export const DisclosureEventTypes = {
  DisclosureDrafted: { schemaVersion: 1, schema: DisclosureDraftedData },
  DisclosureRevised: { schemaVersion: 1, schema: DisclosureRevisedData },
  DisclosurePublished: { schemaVersion: 1, schema: DisclosurePublishedData },
  DisclosureCorrected: { schemaVersion: 1, schema: DisclosureCorrectedData },
  DisclosureCommented: { schemaVersion: 1, schema: DisclosureCommentedData },
  DisclosureObjected: { schemaVersion: 1, schema: DisclosureObjectedData },
  CommitteeReviewRecorded: { schemaVersion: 1, schema: CommitteeReviewRecordedData },
  DisclosureRetracted: { schemaVersion: 1, schema: DisclosureRetractedData },
} as const satisfies EventTypeRegistry

/** No disclosure event has changed shape yet. */
export const DisclosureEventHistory = {} as const satisfies EventHistory
export const disclosureUpcasters = {} satisfies UpcasterRegistry

/** Reads a stored disclosure event: upcasts (none yet) and validates against the latest schema. */
export const disclosureEventReader = createEventReader(DisclosureEventTypes, disclosureUpcasters, DisclosureEventHistory)

export type DisclosureEventType = keyof typeof DisclosureEventTypes
export type DisclosureEventData<T extends DisclosureEventType> = z.infer<(typeof DisclosureEventTypes)[T]['schema']>

/** A disclosure event as the decider produces and `evolve` consumes it: type and latest-version data. */
export type DisclosureEvent = {
  [T in DisclosureEventType]: { type: T; data: DisclosureEventData<T> }
}[DisclosureEventType]

/** Narrows an event by type: `DisclosureEventOf<'DisclosurePublished'>`. */
export type DisclosureEventOf<T extends DisclosureEventType> = Extract<DisclosureEvent, { type: T }>

export function isDisclosureEventType(type: string): type is DisclosureEventType {
  return Object.hasOwn(DisclosureEventTypes, type)
}
