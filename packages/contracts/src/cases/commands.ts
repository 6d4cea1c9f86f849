import { z } from 'zod'
import type { Sealed } from '../personal.js'
import { TextLimit, UserId, Uuid, line, text } from '../common.js'
import {
  CaseChannel,
  CaseKind,
  CaseLocation,
  CasePriority,
  FollowUpMethod,
  NoteVisibility,
  Rating,
  ReporterContact,
} from './values.js'

/**
 * HTTP bodies of the case commands (issue 3). Every object is strict: an unknown key is a 400, not silently
 * dropped, so a typo in a client (`visiblity`) cannot turn an internal note public by default.
 *
 * @example
 * const body = NoteCaseBody.parse({ body: 'Plumber booked for 14:00', visibility: 'public' })
 */

const reason = () => text(TextLimit.reason)

/**
 * `POST /v1/cases`. A resident reports as themselves; staff may report on a resident's behalf with `reporterId`.
 * `priority` defaults to `normal`.
 */
export const ReportCaseBody = z.strictObject({
  kind: CaseKind,
  category: line(TextLimit.name),
  title: line(TextLimit.title),
  description: text(),
  channel: CaseChannel,
  priority: CasePriority.optional(),
  location: CaseLocation,
  reporter: ReporterContact.optional(),
  reporterId: UserId.optional(),
})
export type ReportCaseBody = z.infer<typeof ReportCaseBody>

export const AcknowledgeCaseBody = z.strictObject({ note: text().optional() })
export type AcknowledgeCaseBody = z.infer<typeof AcknowledgeCaseBody>

export const AssignCaseBody = z.strictObject({ assigneeId: UserId, team: line(TextLimit.name).optional() })
export type AssignCaseBody = z.infer<typeof AssignCaseBody>

export const HoldCaseBody = z.strictObject({ reason: reason() })
export type HoldCaseBody = z.infer<typeof HoldCaseBody>

export const ResumeCaseBody = z.strictObject({})
export type ResumeCaseBody = z.infer<typeof ResumeCaseBody>

export const NoteCaseBody = z.strictObject({ body: text(), visibility: NoteVisibility })
export type NoteCaseBody = z.infer<typeof NoteCaseBody>

export const EscalateCaseBody = z.strictObject({ reason: reason() })
export type EscalateCaseBody = z.infer<typeof EscalateCaseBody>

export const ResolveCaseBody = z.strictObject({ resolution: text() })
export type ResolveCaseBody = z.infer<typeof ResolveCaseBody>

/** Follow-up visit (回访): one rating per resolution; 1–2 reopens the case. */
export const FollowUpCaseBody = z.strictObject({
  rating: Rating,
  comment: text(TextLimit.reason).optional(),
  method: FollowUpMethod,
})
export type FollowUpCaseBody = z.infer<typeof FollowUpCaseBody>

/** Review (复盘) of a case: why it happened, what was learnt, what will stop it happening again. */
export const ReviewCaseBody = z.strictObject({
  rootCause: text(),
  lessons: text(),
  preventiveActions: z.array(text(TextLimit.reason)).max(50),
  /** A typical case (典型案例) is used in training and in the manager's reports. */
  typical: z.boolean(),
})
export type ReviewCaseBody = z.infer<typeof ReviewCaseBody>

export const CloseCaseBody = z.strictObject({})
export type CloseCaseBody = z.infer<typeof CloseCaseBody>

export const ReopenCaseBody = z.strictObject({ reason: reason() })
export type ReopenCaseBody = z.infer<typeof ReopenCaseBody>

export const WithdrawCaseBody = z.strictObject({ reason: reason() })
export type WithdrawCaseBody = z.infer<typeof WithdrawCaseBody>

export const LinkCaseBody = z.strictObject({ caseId: Uuid })
export type LinkCaseBody = z.infer<typeof LinkCaseBody>

export const UnlinkCaseBody = z.strictObject({ caseId: Uuid })
export type UnlinkCaseBody = z.infer<typeof UnlinkCaseBody>

export const MergeCaseBody = z.strictObject({ intoCaseId: Uuid })
export type MergeCaseBody = z.infer<typeof MergeCaseBody>

export const UnmergeCaseBody = z.strictObject({})
export type UnmergeCaseBody = z.infer<typeof UnmergeCaseBody>

/**
 * Body schema per command type. Command types are snake_case and match the route (`follow_up` for
 * `/follow-up`, `report` for `POST /v1/cases`).
 */
export const CaseCommandBodies = {
  report: ReportCaseBody,
  acknowledge: AcknowledgeCaseBody,
  assign: AssignCaseBody,
  hold: HoldCaseBody,
  resume: ResumeCaseBody,
  note: NoteCaseBody,
  escalate: EscalateCaseBody,
  resolve: ResolveCaseBody,
  follow_up: FollowUpCaseBody,
  review: ReviewCaseBody,
  close: CloseCaseBody,
  reopen: ReopenCaseBody,
  withdraw: WithdrawCaseBody,
  link: LinkCaseBody,
  unlink: UnlinkCaseBody,
  merge: MergeCaseBody,
  unmerge: UnmergeCaseBody,
} as const
export type CaseCommandType = keyof typeof CaseCommandBodies
export type CaseCommandBody<T extends CaseCommandType> = z.infer<(typeof CaseCommandBodies)[T]>

/** A report as the decider sees it: the body with its contact sealed at the edge (DESIGN §7). */
export type ReportCaseData = Omit<ReportCaseBody, 'reporter'> & { reporter?: Sealed }

/** The data of a case command: its body, but a report's contact is sealed. */
export type CaseCommandData<T extends CaseCommandType> = T extends 'report' ? ReportCaseData : CaseCommandBody<T>

/** The HTTP commands on an existing case: `POST /v1/cases/:id/<route>` → command type. */
export const CaseCommandRoutes = {
  acknowledge: 'acknowledge',
  assign: 'assign',
  hold: 'hold',
  resume: 'resume',
  note: 'note',
  escalate: 'escalate',
  resolve: 'resolve',
  'follow-up': 'follow_up',
  review: 'review',
  close: 'close',
  reopen: 'reopen',
  withdraw: 'withdraw',
  link: 'link',
  unlink: 'unlink',
  merge: 'merge',
  unmerge: 'unmerge',
} as const satisfies Record<string, Exclude<CaseCommandType, 'report'>>
export type CaseCommandRoute = keyof typeof CaseCommandRoutes
