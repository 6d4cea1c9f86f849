import { z } from 'zod'
import { TextLimit, text } from '../common.js'
import { CommitteeReviewDecision, DisclosureDraft } from './values.js'

/**
 * HTTP bodies of the disclosure commands (issue 6). Every object is strict: an unknown key is a 400.
 *
 * @example
 * const body = CorrectDisclosureBody.parse({ content: draft, reason: 'Lift ad income for March was missing' })
 */

const reason = () => text(TextLimit.reason)

/** `POST /v1/disclosures` (managers). */
export const DraftDisclosureBody = DisclosureDraft
export type DraftDisclosureBody = z.infer<typeof DraftDisclosureBody>

/** `…/:id/revise`: the whole draft again; drafts only. */
export const ReviseDisclosureBody = DisclosureDraft
export type ReviseDisclosureBody = z.infer<typeof ReviseDisclosureBody>

/** `…/:id/publish`: publishes the draft as version 1. */
export const PublishDisclosureBody = z.strictObject({})
export type PublishDisclosureBody = z.infer<typeof PublishDisclosureBody>

/** `…/:id/corrections`: a new version (n + 1); the published versions stay as they were. */
export const CorrectDisclosureBody = z.strictObject({ content: DisclosureDraft, reason: reason() })
export type CorrectDisclosureBody = z.infer<typeof CorrectDisclosureBody>

/** `…/:id/comments` (residents, committee members). */
export const CommentDisclosureBody = z.strictObject({ body: text(TextLimit.reason) })
export type CommentDisclosureBody = z.infer<typeof CommentDisclosureBody>

/** `…/:id/objections` (residents): each objection opens a complaint case linked to the disclosure. */
export const ObjectDisclosureBody = z.strictObject({ reason: reason() })
export type ObjectDisclosureBody = z.infer<typeof ObjectDisclosureBody>

/** `…/:id/committee-review` (committee members, 业委会). */
export const CommitteeReviewBody = z.strictObject({ decision: CommitteeReviewDecision, note: reason() })
export type CommitteeReviewBody = z.infer<typeof CommitteeReviewBody>

/** `…/:id/retract` (managers): the disclosure stays readable, marked retracted. */
export const RetractDisclosureBody = z.strictObject({ reason: reason() })
export type RetractDisclosureBody = z.infer<typeof RetractDisclosureBody>

/** Body schema per command type; snake_case like the case commands (`draft` is `POST /v1/disclosures`). */
export const DisclosureCommandBodies = {
  draft: DraftDisclosureBody,
  revise: ReviseDisclosureBody,
  publish: PublishDisclosureBody,
  correct: CorrectDisclosureBody,
  comment: CommentDisclosureBody,
  object: ObjectDisclosureBody,
  committee_review: CommitteeReviewBody,
  retract: RetractDisclosureBody,
} as const
export type DisclosureCommandType = keyof typeof DisclosureCommandBodies
export type DisclosureCommandBody<T extends DisclosureCommandType> = z.infer<(typeof DisclosureCommandBodies)[T]>

/** The HTTP commands on an existing disclosure: `POST /v1/disclosures/:id/<route>` → command type. */
export const DisclosureCommandRoutes = {
  revise: 'revise',
  publish: 'publish',
  corrections: 'correct',
  comments: 'comment',
  objections: 'object',
  'committee-review': 'committee_review',
  retract: 'retract',
} as const satisfies Record<string, Exclude<DisclosureCommandType, 'draft'>>
export type DisclosureCommandRoute = keyof typeof DisclosureCommandRoutes
