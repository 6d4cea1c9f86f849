import { isCaseEventType, isMediationEvent } from '@pc/contracts'
import type { CaseEventOf, CaseStreamEvent } from '@pc/contracts'
import { assertNever } from '../decider.js'
import { caseFacts } from './case.state.js'
import type { ActiveCaseState, CaseFacts, CaseSla, CaseState } from './case.state.js'
import { evolveMediation } from './mediation/mediation.evolve.js'

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

/**
 * Folds one event of the case stream into state. A dispute's mediation events are handed to `evolveMediation`
 * (issue 5), which keeps them in the `mediation` slot; events of no known type change nothing, so a reader older
 * than the writer still folds the stream.
 */
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
        publicNoteCount: state.publicNoteCount + (event.data.visibility === 'public' ? 1 : 0),
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
    publicNoteCount: 0,
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
