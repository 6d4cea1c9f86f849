import type { CaseEventOf } from '@pc/contracts'
import { addBusinessMinutes } from '../sla/business-calendar.js'
import { slaTermsFor } from '../sla/sla.policy.js'
import type { CaseCommandOf, CaseContext } from './case.commands.js'

/**
 * Warn (预警): a case is reported. The SLA terms in force are written into the event, so a replay never depends on
 * today's configuration.
 */
export function report(command: CaseCommandOf<'report'>, context: CaseContext, at: string): CaseEventOf<'CaseReported'> {
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
