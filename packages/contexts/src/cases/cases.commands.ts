import { CaseCommandBodies, CaseCommandRoutes, Uuid, type CaseCommandRoute } from '@pc/contracts'
import { caseCommandRoles, reportedFor, type CaseCommand, type CaseState } from '@pc/domain'
import { z } from 'zod'
import { commandSpecs, type CommandSpec } from '../context.js'

/**
 * Case commands (DESIGN §4–§5): `POST /v1/cases` (201) and `POST /v1/cases/:id/<command>` (200), each with the zod
 * body of `@pc/contracts`. Who may do what is the decider's business (`authorizeCaseCommand`); a caller of no role
 * that could ever send the command (`caseCommandRoles`) is refused with 403 before the body is read.
 */

export const CaseParams = z.object({ id: Uuid })

const spec = commandSpecs<CaseCommand, CaseState>()

const ROUTES: Record<CaseCommandRoute, { operationId: string; summary: string }> = {
  acknowledge: { operationId: 'acknowledgeCase', summary: 'Acknowledge a case (first response)' },
  assign: { operationId: 'assignCase', summary: 'Assign a case (acknowledges it too)' },
  hold: { operationId: 'holdCase', summary: 'Put a case on hold (pauses the resolution clock)' },
  resume: { operationId: 'resumeCase', summary: 'Resume a case on hold' },
  note: { operationId: 'addCaseNote', summary: 'Add a public or internal note' },
  escalate: { operationId: 'escalateCase', summary: 'Escalate a case' },
  resolve: { operationId: 'resolveCase', summary: 'Resolve a case' },
  'follow-up': { operationId: 'recordCaseFollowUp', summary: 'Record the follow-up (回访) rating; 1–2 reopens the case' },
  review: { operationId: 'reviewCase', summary: 'Review (复盘) a resolved case' },
  close: { operationId: 'closeCase', summary: 'Close a case' },
  reopen: { operationId: 'reopenCase', summary: 'Reopen a resolved, followed-up or closed case' },
  withdraw: { operationId: 'withdrawCase', summary: 'Withdraw an open case' },
  link: { operationId: 'linkCase', summary: 'Link a related case' },
  unlink: { operationId: 'unlinkCase', summary: 'Unlink a related case' },
  merge: { operationId: 'mergeCase', summary: 'Merge a case into a primary case' },
  unmerge: { operationId: 'unmergeCase', summary: 'Undo a merge' },
}

type RoutedCommandType = (typeof CaseCommandRoutes)[CaseCommandRoute]

function onCase(route: CaseCommandRoute, type: RoutedCommandType): CommandSpec<CaseCommand, CaseState> {
  return spec({
    ...ROUTES[route],
    url: `/cases/:id/${route}`,
    roles: caseCommandRoles(type),
    params: CaseParams,
    body: CaseCommandBodies[type],
    id: ({ params }) => params.id,
    // The body was validated by this very command's schema, so it is this command's data.
    command: ({ body, actor }) => ({ type, data: body, actor }) as CaseCommand,
  })
}

export const caseCommands: readonly CommandSpec<CaseCommand, CaseState>[] = [
  spec({
    operationId: 'reportCase',
    url: '/cases',
    summary: 'Report a case',
    roles: caseCommandRoles('report'),
    status: 201,
    body: CaseCommandBodies.report,
    id: ({ newId }) => newId(),
    // The contact is sealed for the person the case is reported for, or for a new subject when staff record the
    // contact of someone without an account (a walk-in, a caller): its id is shown to staff as `subjectId`.
    async prepare({ body, actor, newId }, { vault }) {
      const { reporter } = body
      if (reporter === undefined || (reporter.name === undefined && reporter.phone === undefined)) return undefined
      const subject = reportedFor(actor, body.reporterId) ?? `contact-${newId()}`
      return vault.seal(subject, { ...reporter })
    },
    command: ({ id, body: { reporter: _clear, ...body }, actor, prepared }) => ({
      type: 'report',
      caseId: id,
      data: prepared === undefined ? body : { ...body, reporter: prepared },
      actor,
    }),
  }),
  ...(Object.entries(CaseCommandRoutes) as Array<[CaseCommandRoute, RoutedCommandType]>).map(([route, type]) => onCase(route, type)),
]
