import type { CaseEventOf } from '@pc/contracts'
import { addBusinessMinutes } from '../sla/business-calendar.js'
import { slaTermsFor } from '../sla/sla.policy.js'
import type { CommandActor } from '../decider.js'
import type { CaseCommandOf, CaseContext } from './case.commands.js'

/**
 * Whose case a report is: a resident's is their own; staff report for a resident (`reporterId`) or for nobody (a
 * patrol finding, a walk-in without an account). The edge seals the reporter's contact for the same person.
 */
export function reportedFor(actor: CommandActor, reporterId: string | undefined): string | null {
  const staff = actor.roles.includes('staff') || actor.roles.includes('manager')
  return staff ? (reporterId ?? null) : actor.id
}

/**
 * Warn (预警): a case is reported. The SLA terms in force are written into the event, so a replay never depends on
 * today's configuration.
 */
export function report(command: CaseCommandOf<'report'>, context: CaseContext, at: string): CaseEventOf<'CaseReported'> {
  const { data, actor } = command
  const priority = data.priority ?? 'normal'
  const terms = slaTermsFor(context.slaPolicy, priority)
  const reporterId = reportedFor(actor, data.reporterId)
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
      reporter: data.reporter ?? null,
      sla: {
        terms,
        responseDueAt: addBusinessMinutes(at, terms.responseMinutes, terms.calendar),
        resolutionDueAt: addBusinessMinutes(at, terms.resolutionMinutes, terms.calendar),
      },
      at,
    },
  }
}
