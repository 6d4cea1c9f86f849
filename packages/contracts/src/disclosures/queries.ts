import { z } from 'zod'
import { DecimalString, IsoDateTime, Uuid } from '../common.js'
import {
  CommitteeReviewDecision,
  DisclosureContent,
  DisclosureDraft,
  DisclosureKind,
  DisclosureStatus,
  Sha256Hex,
} from './values.js'

/**
 * What the query API answers about disclosures (issue 6). Revisions and positions are decimal strings; a
 * version's `content` is returned exactly as it was published, so `contentHash` recomputes from it.
 *
 * @example
 * const { content, contentHash } = DisclosureVersionResponse.parse(await res.json())
 * sha256Hex(canonicalJson(content)) === contentHash // true
 */

/** `waitFor=<position>`: read your own writes (waits up to 5 s for the read models to pass it). */
const WaitFor = { waitFor: DecimalString.optional() }

/** `GET /v1/disclosures?kind=&status=&limit=&cursor=`. */
export const DisclosureListQuery = z.object({
  kind: DisclosureKind.optional(),
  status: DisclosureStatus.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** `nextCursor` of the previous page. */
  cursor: z
    .string()
    .refine((cursor) => decodeDisclosureCursor(cursor) !== null, 'a cursor from a previous page')
    .optional(),
  ...WaitFor,
})
export type DisclosureListQuery = z.infer<typeof DisclosureListQuery>

/** The list's cursor: base64url of the last item's sort key (`draftedAt|id`), opaque to clients. */
export function encodeDisclosureCursor(draftedAt: string, id: string): string {
  return Buffer.from(`${draftedAt}|${id}`, 'utf8').toString('base64url')
}

/** The sort key in a cursor, or null for a string no page handed out. */
export function decodeDisclosureCursor(cursor: string): { draftedAt: string; id: string } | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return null
  const [draftedAt = '', id = '', ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|')
  if (rest.length > 0 || !IsoDateTime.safeParse(draftedAt).success || !Uuid.safeParse(id).success) return null
  return { draftedAt, id }
}

export const DisclosureIdParams = z.strictObject({ id: Uuid })
export type DisclosureIdParams = z.infer<typeof DisclosureIdParams>

export const DisclosureVersionParams = z.strictObject({ id: Uuid, v: z.coerce.number().int().min(1).max(1_000_000) })
export type DisclosureVersionParams = z.infer<typeof DisclosureVersionParams>

export const DisclosureReadQuery = z.object({ ...WaitFor })
export type DisclosureReadQuery = z.infer<typeof DisclosureReadQuery>

const Period = z.strictObject({ from: z.string(), to: z.string() })

/** One disclosure in a list: what a reader needs to pick it, without the content. */
export const DisclosureSummary = z.strictObject({
  id: Uuid,
  kind: DisclosureKind,
  status: DisclosureStatus,
  title: z.string(),
  /** The current version (null while a draft). */
  version: z.number().int().min(1).nullable(),
  contentHash: Sha256Hex.nullable(),
  period: Period.nullable(),
  effectiveAt: IsoDateTime.nullable(),
  commentPeriodEndsAt: IsoDateTime.nullable(),
  commentCount: z.number().int(),
  objectionCount: z.number().int(),
  draftedAt: IsoDateTime,
  /** When version 1 was published. */
  publishedAt: IsoDateTime.nullable(),
  retractedAt: IsoDateTime.nullable(),
  updatedAt: IsoDateTime,
  /** The stream revision: `If-Match` for the next command. */
  revision: DecimalString,
  position: DecimalString,
})
export type DisclosureSummary = z.infer<typeof DisclosureSummary>

export const DisclosureListResponse = z.strictObject({
  items: z.array(DisclosureSummary),
  nextCursor: z.string().nullable(),
})
export type DisclosureListResponse = z.infer<typeof DisclosureListResponse>

/** One entry of a disclosure's version chain. */
export const DisclosureVersionRef = z.strictObject({
  version: z.number().int().min(1),
  contentHash: Sha256Hex,
  /** The previous version's hash; null for version 1. */
  previousHash: Sha256Hex.nullable(),
  publishedAt: IsoDateTime,
  /** Why the correction was made; null for version 1. */
  reason: z.string().nullable(),
})
export type DisclosureVersionRef = z.infer<typeof DisclosureVersionRef>

/**
 * `GET /v1/disclosures/:id/versions/:v`: one published version, `content` exactly as published. `reason` and
 * `previousHash` are present on corrections (version ≥ 2) only.
 */
export const DisclosureVersionResponse = z.strictObject({
  version: z.number().int().min(1),
  content: DisclosureContent,
  contentHash: Sha256Hex,
  publishedAt: IsoDateTime,
  reason: z.string().optional(),
  previousHash: Sha256Hex.optional(),
  /** The disclosure was retracted: every version stays readable, marked so. */
  retracted: z.boolean(),
})
export type DisclosureVersionResponse = z.infer<typeof DisclosureVersionResponse>

export const CommitteeReviewResponse = z.strictObject({
  reviewerId: z.string(),
  decision: CommitteeReviewDecision,
  note: z.string(),
  version: z.number().int().min(1),
  contentHash: Sha256Hex,
  at: IsoDateTime,
})

/** An objection and the complaint case it opened (the case id is derived from the objection). */
export const DisclosureObjectionRef = z.strictObject({
  objectionId: Uuid,
  caseId: Uuid,
  version: z.number().int().min(1),
  at: IsoDateTime,
})

/** `GET /v1/disclosures/:id`. */
export const DisclosureDetailResponse = DisclosureSummary.extend({
  /** The current version with its content; null while a draft. */
  current: DisclosureVersionResponse.omit({ retracted: true }).nullable(),
  /** The working draft, while the disclosure is one (only managers see drafts). */
  draft: DisclosureDraft.nullable(),
  /** Oldest first. */
  versions: z.array(DisclosureVersionRef),
  reviews: z.array(CommitteeReviewResponse),
  objections: z.array(DisclosureObjectionRef),
  retraction: z.strictObject({ at: IsoDateTime, reason: z.string() }).nullable(),
})
export type DisclosureDetailResponse = z.infer<typeof DisclosureDetailResponse>

/** `GET /v1/disclosures/:id/comments?limit=&cursor=`: oldest first. */
export const DisclosureCommentsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().regex(/^[1-9][0-9]{0,9}$/, 'a cursor from a previous page').optional(),
  ...WaitFor,
})
export type DisclosureCommentsQuery = z.infer<typeof DisclosureCommentsQuery>

export const DisclosureCommentResponse = z.strictObject({
  commentId: z.string(),
  authorId: z.string(),
  body: z.string(),
  /** The version that was current when the comment was made. */
  version: z.number().int().min(1),
  at: IsoDateTime,
})

export const DisclosureCommentsResponse = z.strictObject({
  items: z.array(DisclosureCommentResponse),
  nextCursor: z.string().nullable(),
})
export type DisclosureCommentsResponse = z.infer<typeof DisclosureCommentsResponse>
