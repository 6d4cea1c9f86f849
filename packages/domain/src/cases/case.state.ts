import { assertNever } from '../decider.js'
import type {
  CaseChannel,
  CaseKind,
  CaseLocation,
  CasePriority,
  CaseStatus,
  FollowUpMethod,
  OpenCaseStatus,
  Sealed,
  SlaTerms,
} from '@pc/contracts'
import type { MediationState } from './mediation/mediation.state.js'

/**
 * The three SLA clocks of one case, as the events left them. Deadlines only move when a stopped clock restarts
 * (resume, reopen, unmerge), by exactly the calendar time it stood still.
 */
export interface CaseSla {
  terms: SlaTerms
  /** First response: stops for good at the first acknowledge (or assign). */
  response: {
    dueAt: string
    respondedAt: string | null
    /** Set when the case is merged or withdrawn before anyone responded. */
    stoppedAt: string | null
    overdueRecorded: boolean
  }
  /** Resolution: stopped while on hold, resolved (until a reopen), withdrawn or merged. */
  resolution: {
    dueAt: string
    resolvedAt: string | null
    stoppedAt: string | null
    overdueRecorded: boolean
  }
  /**
   * Next update: runs after the first response while the case is being worked on; `dueAt` null otherwise. Restarted
   * by the first response, an assignment, a public note, resume, reopen and unmerge; stopped by hold, resolve,
   * withdraw and merge. Internal notes and escalations are not news to the resident, so they do not restart it.
   */
  update: {
    dueAt: string | null
    overdueRecorded: boolean
  }
}

export interface FollowUpRecord {
  rating: number
  comment: string | null
  method: FollowUpMethod
  at: string
}

export interface ReviewRecord {
  rootCause: string
  lessons: string
  preventiveActions: string[]
  typical: boolean
  at: string
}

/** What every reported case knows, whatever its status. */
export interface CaseFacts {
  id: string
  kind: CaseKind
  category: string
  title: string
  description: string
  channel: CaseChannel
  priority: CasePriority
  location: CaseLocation
  reporterId: string | null
  reportedBy: string
  /** Personal data (DESIGN §7), kept apart from everything else. */
  reporter: Sealed | null
  reportedAt: string
  assigneeId: string | null
  team: string | null
  /** 0 until the first escalation. */
  escalationLevel: number
  reopenCount: number
  /** Whether the case was reviewed since it was last (re)opened: a reopen asks for a new review. */
  reviewed: boolean
  lastReview: ReviewRecord | null
  /** The text of the latest resolution. */
  resolution: string | null
  /** The follow-up of the current resolution. */
  followUp: FollowUpRecord | null
  /** Every note, internal ones included (note ids are numbered by it). */
  noteCount: number
  /** The public notes alone: what a reader who may not see internal notes is told the count is. */
  publicNoteCount: number
  links: readonly string[]
  /**
   * The mediation (调解) of a dispute. The mediation decider (issue 5) owns this slot; the case decider only reads
   * `status` (a dispute is not resolved while its mediation is open) and carries it unchanged through case events.
   */
  mediation: MediationState | null
  sla: CaseSla
}

type In<S extends CaseStatus, Extra = unknown> = { status: S } & CaseFacts & Extra

export interface Hold {
  reason: string
  since: string
}

export type ReportedCase = In<'reported'>
export type AcknowledgedCase = In<'acknowledged'>
export type InProgressCase = In<'in_progress'>
export type OnHoldCase = In<'on_hold', { hold: Hold }>
export type ResolvedCase = In<'resolved'>
export type FollowedUpCase = In<'followed_up'>
export type ClosedCase = In<'closed', { closedAt: string }>
export type WithdrawnCase = In<'withdrawn', { withdrawal: { reason: string; previousStatus: OpenCaseStatus; at: string } }>
/** Merged into a primary case (closed as `merged`); keeps what an unmerge restores. */
export type MergedCase = In<
  'merged',
  { merge: { intoCaseId: string; previousStatus: OpenCaseStatus; previousHold: Hold | null; at: string } }
>

/** A case that exists (a `CaseReported` was recorded). */
export type ActiveCaseState =
  | ReportedCase
  | AcknowledgedCase
  | InProgressCase
  | OnHoldCase
  | ResolvedCase
  | FollowedUpCase
  | ClosedCase
  | WithdrawnCase
  | MergedCase

/** Before `CaseReported`. */
export interface NoCase {
  status: 'none'
}

/** A case's state: a discriminated union on `status`. */
export type CaseState = NoCase | ActiveCaseState

export type CaseStateStatus = CaseState['status']

export const initialCaseState: CaseState = Object.freeze({ status: 'none' as const })

export const OPEN_STATUSES: readonly OpenCaseStatus[] = ['reported', 'acknowledged', 'in_progress', 'on_hold']

export function isOpen(state: CaseState): state is ReportedCase | AcknowledgedCase | InProgressCase | OnHoldCase {
  return (OPEN_STATUSES as readonly string[]).includes(state.status)
}

/**
 * Whether `close` needs a review (复盘) first (DESIGN §4): the case was escalated or reopened, it is a dispute or a
 * warning, or it is urgent.
 */
export function requiresReview(state: ActiveCaseState): boolean {
  return (
    state.escalationLevel > 0 ||
    state.reopenCount > 0 ||
    state.kind === 'dispute' ||
    state.kind === 'warning' ||
    state.priority === 'urgent'
  )
}

/** The facts without what belongs to one status only (hold, merge, withdrawal, closing time). */
export function caseFacts(state: ActiveCaseState): CaseFacts {
  switch (state.status) {
    case 'on_hold': {
      const { status: _status, hold: _hold, ...facts } = state
      return facts
    }
    case 'closed': {
      const { status: _status, closedAt: _closedAt, ...facts } = state
      return facts
    }
    case 'withdrawn': {
      const { status: _status, withdrawal: _withdrawal, ...facts } = state
      return facts
    }
    case 'merged': {
      const { status: _status, merge: _merge, ...facts } = state
      return facts
    }
    case 'reported':
    case 'acknowledged':
    case 'in_progress':
    case 'resolved':
    case 'followed_up': {
      const { status: _status, ...facts } = state
      return facts
    }
    default:
      return assertNever(state)
  }
}
