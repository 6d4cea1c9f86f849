import type { ActiveCaseState } from '@pc/domain'
import type { AuthenticatedActor } from '@pc/platform'
import type { CaseVisibility, CaseVisibilityRule } from '@pc/read-models'

/**
 * Who reads which cases (DESIGN §1, §5; issue 4). The command side's rules are `authorizeCaseCommand`; these are
 * the read side's:
 * - staff, managers and auditors read every case, internal entries included;
 * - a technician reads the cases assigned to them, a mediator the disputes — internal entries included;
 * - a resident reads the cases they reported, public timeline entries only, and never the internal parts of a
 *   case (review findings, links to other residents' cases);
 * - committee members and administrators read figures, not cases (403).
 * A case outside what the reader may see answers 404, like a case that does not exist.
 */
export interface CaseReader {
  visibleTo: CaseVisibility
  /** Whether the reader sees this case as staff (internal entries and fields) rather than as its resident. */
  seesInternal(state: ActiveCaseState): boolean
}

/** Roles that see every case in full. */
export const ALL_CASES_ROLES = ['staff', 'manager', 'auditor'] as const
/** Every role that reads cases at all (the `requireRoles` of the case routes). */
export const CASE_READER_ROLES = [...ALL_CASES_ROLES, 'technician', 'mediator', 'resident'] as const

export function caseReaderOf(actor: AuthenticatedActor): CaseReader {
  const roles = new Set<string>(actor.roles)
  if (ALL_CASES_ROLES.some((role) => roles.has(role))) return { visibleTo: 'all', seesInternal: () => true }
  const staffSide: CaseVisibilityRule[] = []
  if (roles.has('technician')) staffSide.push({ assigneeId: actor.id })
  if (roles.has('mediator')) staffSide.push({ kind: 'dispute' })
  const own: CaseVisibilityRule[] = roles.has('resident') ? [{ reporterId: actor.id }] : []
  return {
    visibleTo: [...staffSide, ...own],
    seesInternal: (state) => staffSide.some((rule) => matches(rule, state)),
  }
}

/**
 * Who is shown the reporter's contact in clear (DESIGN §7): whoever is sent to help — staff, technicians,
 * managers — and the reporter themself. Auditors, mediators and the committee see it sealed.
 */
export function mayContactReporter(actor: AuthenticatedActor, state: ActiveCaseState): boolean {
  if (actor.roles.some((role) => role === 'staff' || role === 'technician' || role === 'manager')) return true
  return state.reporterId !== null && state.reporterId === actor.id
}

/** The JS twin of the SQL `listCases` applies for one rule. */
function matches(rule: CaseVisibilityRule, state: ActiveCaseState): boolean {
  if ('reporterId' in rule) return state.reporterId === rule.reporterId
  if ('assigneeId' in rule) return state.assigneeId === rule.assigneeId
  return state.kind === rule.kind
}
