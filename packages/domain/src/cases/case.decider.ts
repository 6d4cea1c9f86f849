import { isCaseEventType, isMediationEvent } from '@pc/contracts'
import type { CaseEvent, CaseEventOf, CaseStreamEvent, SlaCalendar } from '@pc/contracts'
import { assertNever } from '../decider.js'
import type { Decider } from '../decider.js'
import { ForbiddenError, NotFoundError, RuleViolationError } from '../errors.js'
import { addBusinessMinutes, businessMinutesBetween } from '../sla/business-calendar.js'
import { breachToRecord } from '../sla/sla.clocks.js'
import { slaTermsFor } from '../sla/sla.policy.js'
import { authorizeCaseCommand } from './case.access.js'
import type { AccessRelevantData } from './case.access.js'
import type { CaseCommand, CaseCommandOf, CaseContext } from './case.commands.js'
import { caseFacts, isOpen, OPEN_STATUSES, requiresReview } from './case.state.js'
import type { ActiveCaseState, CaseFacts, CaseSla, CaseState } from './case.state.js'
import { initialCaseState } from './case.state.js'
import { evolveMediation } from './mediation/mediation.evolve.js'

/**
 * The case decider (DESIGN §4): the closed loop warn → respond → resolve → review (预警 → 响应 → 处理 → 反馈/复盘).
 *
 * `decide` checks access first (`authorizeCaseCommand`: ForbiddenError → 403, NotFoundError → 404), then the
 * transition and the rules (RuleViolationError → 422 with its `rule`), and answers the events. `evolve` folds
 * every event of the case stream into state and never fails on a case event: a dispute's mediation events are
 * handed to the mediation decider's `evolveMediation` (issue 5), which keeps them in the `mediation` slot; events
 * of no known type pass through unchanged.
 */

// ---------------------------------------------------------------------------------------------------------------
// Rules

/** Rule names a client may see in a 422 `RULE_VIOLATED` body. */
export const CaseRule = {
  /** The command does not apply to the case's status. */
  INVALID_TRANSITION: 'INVALID_TRANSITION',
  /** Escalated, reopened, dispute, warning or urgent cases are reviewed (复盘) before they close. */
  REVIEW_REQUIRED: 'REVIEW_REQUIRED',
  /** A dispute is not resolved while its mediation is open. */
  MEDIATION_NOT_CONCLUDED: 'MEDIATION_NOT_CONCLUDED',
  /** The case is already assigned to that person (and team). */
  ALREADY_ASSIGNED: 'ALREADY_ASSIGNED',
  /** A case cannot be linked to itself. */
  SELF_LINK: 'SELF_LINK',
  ALREADY_LINKED: 'ALREADY_LINKED',
  NOT_LINKED: 'NOT_LINKED',
  /** A case cannot be merged into itself. */
  SELF_MERGE: 'SELF_MERGE',
} as const
export type CaseRule = keyof typeof CaseRule

type StatusOf<S extends ActiveCaseState['status']> = Extract<ActiveCaseState, { status: S }>

function requireStatus<S extends ActiveCaseState['status']>(
  state: ActiveCaseState,
  commandType: string,
  allowed: readonly S[],
): asserts state is StatusOf<S> {
  if (!(allowed as readonly string[]).includes(state.status)) {
    throw new RuleViolationError(
      CaseRule.INVALID_TRANSITION,
      `cannot ${commandType.replaceAll('_', ' ')} a case that is ${state.status.replaceAll('_', ' ')}`,
    )
  }
}

const ms = (iso: string) => Date.parse(iso)

/** Calendar time a clock stood still, never negative (clocks of two servers may disagree by a little). */
function pausedMinutes(since: string, until: string, calendar: SlaCalendar): number {
  return Math.max(0, businessMinutesBetween(since, until, calendar))
}

const nextUpdateDue = (sla: CaseSla, at: string) => addBusinessMinutes(at, sla.terms.updateMinutes, sla.terms.calendar)

// ---------------------------------------------------------------------------------------------------------------
// decide

function accessData(command: CaseCommand): AccessRelevantData | undefined {
  if (command.type === 'note') return { visibility: command.data.visibility }
  if (command.type === 'report') return command.data.reporterId === undefined ? {} : { reporterId: command.data.reporterId }
  return undefined
}

export function decide(command: CaseCommand, state: CaseState, context: CaseContext): CaseEvent[] {
  const access = authorizeCaseCommand(command.type, command.actor, state, accessData(command))
  if (access === 'forbidden') throw new ForbiddenError(`not allowed to ${command.type.replaceAll('_', ' ')} this case`)
  if (access === 'not_found') throw new NotFoundError('case not found')

  // One normalised instant for every event of this command.
  const at = new Date(ms(context.now)).toISOString()

  if (command.type === 'report') {
    if (state.status !== 'none') {
      throw new RuleViolationError(CaseRule.INVALID_TRANSITION, 'the case has already been reported')
    }
    return [report(command, context, at)]
  }
  if (state.status === 'none') throw new NotFoundError('case not found')

  switch (command.type) {
    case 'acknowledge':
      return acknowledge(command, state, at)
    case 'assign':
      return assign(command, state, at)
    case 'hold':
      requireStatus(state, command.type, ['in_progress'])
      return [{ type: 'CaseOnHold', data: { reason: command.data.reason, at } }]
    case 'resume':
      return resume(state, at)
    case 'note':
      return note(command, state, at)
    case 'escalate':
      requireStatus(state, command.type, OPEN_STATUSES)
      return [
        {
          type: 'CaseEscalated',
          data: { reason: command.data.reason, level: state.escalationLevel + 1, source: 'manual', clock: null, at },
        },
      ]
    case 'resolve':
      return resolve(command, state, at)
    case 'follow_up':
      return followUp(command, state, at)
    case 'review':
      requireStatus(state, command.type, ['resolved', 'followed_up'])
      return [{ type: 'CaseReviewed', data: { ...command.data, preventiveActions: [...command.data.preventiveActions], at } }]
    case 'close':
      return close(state, at)
    case 'reopen':
      requireStatus(state, command.type, ['resolved', 'followed_up', 'closed'])
      return [reopened(state, at, command.data.reason, null)]
    case 'withdraw':
      requireStatus(state, command.type, OPEN_STATUSES)
      return [{ type: 'CaseWithdrawn', data: { reason: command.data.reason, previousStatus: state.status, at } }]
    case 'link':
      return link(command, state, at)
    case 'unlink':
      if (!state.links.includes(command.data.caseId)) {
        throw new RuleViolationError(CaseRule.NOT_LINKED, 'the cases are not linked', 'caseId')
      }
      return [{ type: 'CaseUnlinked', data: { linkedCaseId: command.data.caseId, at } }]
    case 'merge':
      requireStatus(state, command.type, OPEN_STATUSES)
      if (command.data.intoCaseId === state.id) {
        throw new RuleViolationError(CaseRule.SELF_MERGE, 'a case cannot be merged into itself', 'intoCaseId')
      }
      return [{ type: 'CaseMerged', data: { intoCaseId: command.data.intoCaseId, previousStatus: state.status, at } }]
    case 'unmerge':
      return unmerge(state, at)
    case 'record_overdue':
      return recordOverdue(command, state, at)
    default:
      return assertNever(command)
  }
}

function report(command: CaseCommandOf<'report'>, context: CaseContext, at: string): CaseEventOf<'CaseReported'> {
  const { data, actor } = command
  const priority = data.priority ?? 'normal'
  const terms = slaTermsFor(context.slaPolicy, priority)
  const staff = actor.roles.includes('staff') || actor.roles.includes('manager')
  // A resident's case is their own; staff report for a resident (`reporterId`) or for nobody (a patrol finding).
  const reporterId = staff ? (data.reporterId ?? null) : actor.id
  const reporter = data.reporter !== undefined && Object.keys(data.reporter).length > 0 ? { ...data.reporter } : null
  return {
    type: 'CaseReported',
    data: {
      caseId: command.caseId,
      kind: data.kind,
      category: data.category,
      title: data.title,
      description: data.description,
      channel: data.channel,
      priority,
      location: { ...data.location },
      reporterId,
      reportedBy: actor.id,
      reporter,
      sla: {
        terms,
        responseDueAt: addBusinessMinutes(at, terms.responseMinutes, terms.calendar),
        resolutionDueAt: addBusinessMinutes(at, terms.resolutionMinutes, terms.calendar),
      },
      at,
    },
  }
}

function acknowledgedEvent(state: ActiveCaseState, note: string | null, at: string): CaseEventOf<'CaseAcknowledged'> {
  return {
    type: 'CaseAcknowledged',
    data: { note, withinSla: ms(at) <= ms(state.sla.response.dueAt), updateDueAt: nextUpdateDue(state.sla, at), at },
  }
}

function acknowledge(command: CaseCommandOf<'acknowledge'>, state: ActiveCaseState, at: string): CaseEvent[] {
  requireStatus(state, command.type, ['reported'])
  return [acknowledgedEvent(state, command.data.note ?? null, at)]
}

function assign(command: CaseCommandOf<'assign'>, state: ActiveCaseState, at: string): CaseEvent[] {
  requireStatus(state, command.type, OPEN_STATUSES)
  const team = command.data.team ?? null
  if (state.assigneeId === command.data.assigneeId && state.team === team) {
    throw new RuleViolationError(CaseRule.ALREADY_ASSIGNED, 'the case is already assigned so', 'assigneeId')
  }
  const events: CaseEvent[] = []
  // Assigning is a response: a case assigned straight from `reported` is acknowledged in the same breath.
  if (state.status === 'reported') events.push(acknowledgedEvent(state, null, at))
  events.push({
    type: 'CaseAssigned',
    data: {
      assigneeId: command.data.assigneeId,
      team,
      previousAssigneeId: state.assigneeId,
      // On hold the update clock stays stopped; otherwise a new assignee is news the resident hears about.
      ...(state.status === 'on_hold' ? {} : { updateDueAt: nextUpdateDue(state.sla, at) }),
      at,
    },
  })
  return events
}

function resume(state: ActiveCaseState, at: string): CaseEvent[] {
  requireStatus(state, 'resume', ['on_hold'])
  const { sla } = state
  const paused = pausedMinutes(sla.resolution.stoppedAt ?? state.hold.since, at, sla.terms.calendar)
  return [
    {
      type: 'CaseResumed',
      data: {
        pausedMinutes: paused,
        resolutionDueAt: addBusinessMinutes(sla.resolution.dueAt, paused, sla.terms.calendar),
        updateDueAt: nextUpdateDue(sla, at),
        at,
      },
    },
  ]
}

function note(command: CaseCommandOf<'note'>, state: ActiveCaseState, at: string): CaseEvent[] {
  requireStatus(state, command.type, OPEN_STATUSES)
  // Defence in depth: access already refuses a resident's internal note when it is given the body.
  const staffSide = command.actor.roles.some((role) => role === 'staff' || role === 'manager' || role === 'technician')
  if (command.data.visibility === 'internal' && !staffSide) throw new ForbiddenError('residents add public notes only')
  const restartsUpdateClock = command.data.visibility === 'public' && state.sla.update.dueAt !== null
  return [
    {
      type: 'CaseNoteAdded',
      data: {
        noteId: `note-${state.noteCount + 1}`,
        body: command.data.body,
        visibility: command.data.visibility,
        authorId: command.actor.id,
        ...(restartsUpdateClock ? { updateDueAt: nextUpdateDue(state.sla, at) } : {}),
        at,
      },
    },
  ]
}

function resolve(command: CaseCommandOf<'resolve'>, state: ActiveCaseState, at: string): CaseEvent[] {
  requireStatus(state, command.type, ['in_progress'])
  if (state.kind === 'dispute' && state.mediation?.status === 'open') {
    throw new RuleViolationError(CaseRule.MEDIATION_NOT_CONCLUDED, 'the mediation of this dispute is still open')
  }
  return [
    {
      type: 'CaseResolved',
      data: { resolution: command.data.resolution, withinSla: ms(at) <= ms(state.sla.resolution.dueAt), at },
    },
  ]
}

function followUp(command: CaseCommandOf<'follow_up'>, state: ActiveCaseState, at: string): CaseEvent[] {
  requireStatus(state, command.type, ['resolved'])
  const { rating, method } = command.data
  const comment = command.data.comment ?? null
  const reopens = rating <= 2
  const followedUp: CaseEvent = { type: 'CaseFollowedUp', data: { rating, comment, method, reopens, at } }
  if (!reopens) return [followedUp]
  return [followedUp, reopened(state, at, `dissatisfied at follow-up (rating ${rating})`, { rating, comment })]
}

/**
 * The resolution clock continues from where it stood: it stopped at resolution, so its deadline moves by the
 * calendar time since. Overdue flags clear, and the reopen is counted (which makes a review necessary).
 */
function reopened(
  state: StatusOf<'resolved' | 'followed_up' | 'closed'>,
  at: string,
  reason: string,
  feedback: { rating: number; comment: string | null } | null,
): CaseEventOf<'CaseReopened'> {
  const { sla } = state
  const paused = pausedMinutes(sla.resolution.stoppedAt ?? sla.resolution.resolvedAt ?? at, at, sla.terms.calendar)
  return {
    type: 'CaseReopened',
    data: {
      reason,
      feedback,
      previousStatus: state.status,
      reopenCount: state.reopenCount + 1,
      pausedMinutes: paused,
      resolutionDueAt: addBusinessMinutes(sla.resolution.dueAt, paused, sla.terms.calendar),
      updateDueAt: nextUpdateDue(sla, at),
      at,
    },
  }
}

function close(state: ActiveCaseState, at: string): CaseEvent[] {
  requireStatus(state, 'close', ['followed_up'])
  const reviewRequired = requiresReview(state)
  if (reviewRequired && !state.reviewed) {
    throw new RuleViolationError(
      CaseRule.REVIEW_REQUIRED,
      'this case must be reviewed before it is closed (escalated, reopened, dispute, warning or urgent)',
    )
  }
  return [{ type: 'CaseClosed', data: { reviewRequired, at } }]
}

function link(command: CaseCommandOf<'link'>, state: ActiveCaseState, at: string): CaseEvent[] {
  const other = command.data.caseId
  if (other === state.id) throw new RuleViolationError(CaseRule.SELF_LINK, 'a case cannot be linked to itself', 'caseId')
  if (state.links.includes(other)) {
    throw new RuleViolationError(CaseRule.ALREADY_LINKED, 'the cases are already linked', 'caseId')
  }
  return [{ type: 'CaseLinked', data: { linkedCaseId: other, at } }]
}

/**
 * Back to the status before the merge. Time spent merged did not count: running clocks' deadlines move by it. A
 * case merged while on hold goes back on hold with its clock still stopped, to move when it is resumed.
 */
function unmerge(state: ActiveCaseState, at: string): CaseEvent[] {
  requireStatus(state, 'unmerge', ['merged'])
  const { sla, merge } = state
  const restored = merge.previousStatus
  const paused =
    restored === 'on_hold' ? 0 : pausedMinutes(sla.resolution.stoppedAt ?? merge.at, at, sla.terms.calendar)
  const move = (dueAt: string) => addBusinessMinutes(dueAt, paused, sla.terms.calendar)
  return [
    {
      type: 'CaseUnmerged',
      data: {
        fromCaseId: merge.intoCaseId,
        restoredStatus: restored,
        pausedMinutes: paused,
        responseDueAt: sla.response.respondedAt === null ? move(sla.response.dueAt) : sla.response.dueAt,
        resolutionDueAt: move(sla.resolution.dueAt),
        updateDueAt: restored === 'reported' || restored === 'on_hold' ? null : nextUpdateDue(sla, at),
        at,
      },
    },
  ]
}

const OVERDUE_EVENT = {
  response: 'ResponseOverdue',
  update: 'UpdateOverdue',
  resolution: 'ResolutionOverdue',
} as const

/** Once per breach: nothing when the case is no longer open, the clock is not past due, or the breach is recorded. */
function recordOverdue(command: CaseCommandOf<'record_overdue'>, state: ActiveCaseState, at: string): CaseEvent[] {
  if (!isOpen(state)) return []
  const { clock } = command.data
  const breach = breachToRecord(state, clock, at)
  if (breach === null || breach.dueAt === null) return []
  const seenAt = clock === 'resolution' ? (state.sla.resolution.stoppedAt ?? at) : at
  const overdueMinutes = Math.max(0, businessMinutesBetween(breach.dueAt, seenAt, state.sla.terms.calendar))
  return [
    { type: OVERDUE_EVENT[clock], data: { dueAt: breach.dueAt, overdueMinutes, at } },
    {
      type: 'CaseEscalated',
      data: {
        reason: `SLA ${clock} target missed (due ${breach.dueAt})`,
        level: state.escalationLevel + 1,
        source: 'sla',
        clock,
        at,
      },
    },
  ]
}

// ---------------------------------------------------------------------------------------------------------------
// evolve

/** A stopped clock keeps the moment it first stopped (a case withdrawn while on hold stopped when it was held). */
function stopClocks(sla: CaseSla, at: string): CaseSla {
  return {
    ...sla,
    response: sla.response.respondedAt === null ? { ...sla.response, stoppedAt: sla.response.stoppedAt ?? at } : sla.response,
    resolution: { ...sla.resolution, stoppedAt: sla.resolution.stoppedAt ?? at },
    update: { dueAt: null, overdueRecorded: false },
  }
}

const updateRestarted = (sla: CaseSla, dueAt: string): CaseSla => ({ ...sla, update: { dueAt, overdueRecorded: false } })

/** Folds one event of the case stream: mediation events go to the mediation slot; unknown types change nothing. */
export function evolve(state: CaseState, event: CaseStreamEvent): CaseState {
  if (isMediationEvent(event)) return evolveMediation(state, event)
  if (!isCaseEventType(event.type)) return state
  if (event.type === 'CaseReported') return reportedState(event)
  if (state.status === 'none') throw new Error(`${event.type} before CaseReported`)
  const facts = caseFacts(state)
  switch (event.type) {
    case 'CaseAcknowledged': {
      const sla = updateRestarted(state.sla, event.data.updateDueAt)
      return { ...facts, status: 'acknowledged', sla: { ...sla, response: { ...sla.response, respondedAt: event.data.at } } }
    }
    case 'CaseAssigned': {
      const assigned = {
        ...facts,
        assigneeId: event.data.assigneeId,
        team: event.data.team,
        sla: event.data.updateDueAt === undefined ? state.sla : updateRestarted(state.sla, event.data.updateDueAt),
      }
      if (state.status === 'on_hold') return { ...assigned, status: 'on_hold', hold: state.hold }
      return { ...assigned, status: 'in_progress' }
    }
    case 'CaseOnHold': {
      const sla = state.sla
      return {
        ...facts,
        status: 'on_hold',
        hold: { reason: event.data.reason, since: event.data.at },
        sla: {
          ...sla,
          resolution: { ...sla.resolution, stoppedAt: sla.resolution.stoppedAt ?? event.data.at },
          update: { dueAt: null, overdueRecorded: false },
        },
      }
    }
    case 'CaseResumed': {
      const sla = updateRestarted(state.sla, event.data.updateDueAt)
      return {
        ...facts,
        status: 'in_progress',
        sla: { ...sla, resolution: { ...sla.resolution, dueAt: event.data.resolutionDueAt, stoppedAt: null } },
      }
    }
    case 'CaseNoteAdded': {
      const noted = {
        noteCount: state.noteCount + 1,
        sla: event.data.updateDueAt === undefined ? state.sla : updateRestarted(state.sla, event.data.updateDueAt),
      }
      return { ...state, ...noted }
    }
    case 'CaseEscalated':
      return { ...state, escalationLevel: Math.max(state.escalationLevel, event.data.level) }
    case 'CaseResolved': {
      const sla = state.sla
      return {
        ...facts,
        status: 'resolved',
        resolution: event.data.resolution,
        followUp: null,
        sla: {
          ...sla,
          resolution: { ...sla.resolution, resolvedAt: event.data.at, stoppedAt: sla.resolution.stoppedAt ?? event.data.at },
          update: { dueAt: null, overdueRecorded: false },
        },
      }
    }
    case 'CaseFollowedUp': {
      const { rating, comment, method, at } = event.data
      const followUp = { rating, comment, method, at }
      // A rating of 1–2 stays `resolved` for the instant until the `CaseReopened` that follows it.
      if (event.data.reopens) return { ...state, followUp }
      return { ...facts, status: 'followed_up', followUp }
    }
    case 'CaseReopened': {
      const sla = updateRestarted(state.sla, event.data.updateDueAt)
      return {
        ...facts,
        status: 'in_progress',
        reopenCount: event.data.reopenCount,
        reviewed: false,
        followUp: null,
        sla: {
          ...sla,
          response: { ...sla.response, overdueRecorded: false },
          resolution: { dueAt: event.data.resolutionDueAt, resolvedAt: null, stoppedAt: null, overdueRecorded: false },
        },
      }
    }
    case 'CaseReviewed': {
      const { rootCause, lessons, preventiveActions, typical, at } = event.data
      return { ...state, reviewed: true, lastReview: { rootCause, lessons, preventiveActions, typical, at } }
    }
    case 'CaseClosed':
      return { ...facts, status: 'closed', closedAt: event.data.at }
    case 'CaseWithdrawn':
      return {
        ...facts,
        status: 'withdrawn',
        withdrawal: { reason: event.data.reason, previousStatus: event.data.previousStatus, at: event.data.at },
        sla: stopClocks(state.sla, event.data.at),
      }
    case 'CaseLinked':
      return { ...state, links: [...state.links, event.data.linkedCaseId] }
    case 'CaseUnlinked':
      return { ...state, links: state.links.filter((id) => id !== event.data.linkedCaseId) }
    case 'CaseMerged':
      return {
        ...facts,
        status: 'merged',
        merge: {
          intoCaseId: event.data.intoCaseId,
          previousStatus: event.data.previousStatus,
          previousHold: state.status === 'on_hold' ? state.hold : null,
          at: event.data.at,
        },
        sla: stopClocks(state.sla, event.data.at),
      }
    case 'CaseUnmerged':
      return unmergedState(state, facts, event)
    case 'ResponseOverdue':
      return { ...state, sla: { ...state.sla, response: { ...state.sla.response, overdueRecorded: true } } }
    case 'UpdateOverdue':
      return { ...state, sla: { ...state.sla, update: { ...state.sla.update, overdueRecorded: true } } }
    case 'ResolutionOverdue':
      return { ...state, sla: { ...state.sla, resolution: { ...state.sla.resolution, overdueRecorded: true } } }
    default:
      return assertNever(event)
  }
}

function reportedState(event: CaseEventOf<'CaseReported'>): CaseState {
  const d = event.data
  return {
    status: 'reported',
    id: d.caseId,
    kind: d.kind,
    category: d.category,
    title: d.title,
    description: d.description,
    channel: d.channel,
    priority: d.priority,
    location: d.location,
    reporterId: d.reporterId,
    reportedBy: d.reportedBy,
    reporter: d.reporter,
    reportedAt: d.at,
    assigneeId: null,
    team: null,
    escalationLevel: 0,
    reopenCount: 0,
    reviewed: false,
    lastReview: null,
    resolution: null,
    followUp: null,
    noteCount: 0,
    links: [],
    mediation: null,
    sla: {
      terms: d.sla.terms,
      response: { dueAt: d.sla.responseDueAt, respondedAt: null, stoppedAt: null, overdueRecorded: false },
      resolution: { dueAt: d.sla.resolutionDueAt, resolvedAt: null, stoppedAt: null, overdueRecorded: false },
      update: { dueAt: null, overdueRecorded: false },
    },
  }
}

function unmergedState(state: ActiveCaseState, facts: CaseFacts, event: CaseEventOf<'CaseUnmerged'>): CaseState {
  const d = event.data
  const hold = state.status === 'merged' ? state.merge.previousHold : null
  const { sla } = facts
  const response = sla.response.respondedAt === null ? { ...sla.response, dueAt: d.responseDueAt, stoppedAt: null } : sla.response
  if (d.restoredStatus === 'on_hold') {
    // Still on hold: the resolution clock stays stopped from when the case was held.
    return {
      ...facts,
      status: 'on_hold',
      hold: hold ?? { reason: 'restored by unmerge', since: d.at },
      sla: { ...sla, response, update: { dueAt: null, overdueRecorded: false } },
    }
  }
  return {
    ...facts,
    status: d.restoredStatus,
    sla: {
      ...sla,
      response,
      resolution: { ...sla.resolution, dueAt: d.resolutionDueAt, stoppedAt: null },
      update: { dueAt: d.updateDueAt, overdueRecorded: false },
    },
  }
}

/** A decider of case commands whose `evolve` folds the whole case stream, a dispute's mediation events included. */
export interface CaseDecider extends Decider<CaseCommand, CaseEvent, CaseState, CaseContext> {
  evolve(state: CaseState, event: CaseStreamEvent): CaseState
}

/**
 * The case decider.
 *
 * @example
 * const state = events.reduce(caseDecider.evolve, caseDecider.initialState)
 * const newEvents = caseDecider.decide(
 *   { type: 'acknowledge', data: {}, actor: { id: 'staff-1', roles: ['staff'] } },
 *   state,
 *   { now: new Date().toISOString(), slaPolicy: DEFAULT_SLA_POLICY },
 * )
 */
export const caseDecider: CaseDecider = {
  initialState: initialCaseState,
  decide,
  evolve,
}
