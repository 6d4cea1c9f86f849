import { DisclosureCommandBodies, DisclosureCommandRoutes, DisclosureIdParams, type DisclosureCommandRoute } from '@pc/contracts'
import { DISCLOSURE_COMMAND_ROLES, type DisclosureCommand, type DisclosureState } from '@pc/domain'
import { commandSpecs, type CommandSpec } from '../context.js'

/**
 * Disclosure commands (公示, DESIGN §4–§5): `POST /v1/disclosures` (201, a draft) and
 * `POST /v1/disclosures/:id/{revise,publish,corrections,comments,objections,committee-review,retract}` (200), each
 * with the zod body of `@pc/contracts`. Who may do what, and every content rule, is the decider's; a caller of no
 * role in `DISCLOSURE_COMMAND_ROLES` is refused with 403 before the body is read.
 */

const spec = commandSpecs<DisclosureCommand, DisclosureState>()

const ROUTES: Record<DisclosureCommandRoute, { operationId: string; summary: string }> = {
  revise: { operationId: 'reviseDisclosure', summary: 'Replace a draft (drafts only)' },
  publish: { operationId: 'publishDisclosure', summary: 'Publish a draft as version 1, with its contentHash' },
  corrections: {
    operationId: 'correctDisclosure',
    summary: 'Publish a correction as version n + 1, recording the previous hash and the reason',
  },
  comments: { operationId: 'commentOnDisclosure', summary: 'Comment on a published disclosure (residents, committee members)' },
  objections: {
    operationId: 'objectToDisclosure',
    summary: 'Object to a published disclosure; opens a linked complaint case (residents)',
  },
  'committee-review': {
    operationId: 'reviewDisclosure',
    summary: 'Record the committee’s review of the current version (acknowledged or disputed)',
  },
  retract: { operationId: 'retractDisclosure', summary: 'Retract a published disclosure; it stays readable, marked retracted' },
}

type RoutedCommandType = (typeof DisclosureCommandRoutes)[DisclosureCommandRoute]

export const disclosureCommands: readonly CommandSpec<DisclosureCommand, DisclosureState>[] = [
  spec({
    operationId: 'draftDisclosure',
    url: '/disclosures',
    summary: 'Draft a disclosure (managers)',
    roles: DISCLOSURE_COMMAND_ROLES.draft,
    status: 201,
    body: DisclosureCommandBodies.draft,
    id: ({ newId }) => newId(),
    command: ({ id, body, actor }) => ({ type: 'draft', disclosureId: id, data: body, actor }),
  }),
  ...(Object.entries(DisclosureCommandRoutes) as Array<[DisclosureCommandRoute, RoutedCommandType]>).map(([route, type]) =>
    spec({
      ...ROUTES[route],
      url: `/disclosures/:id/${route}`,
      roles: DISCLOSURE_COMMAND_ROLES[type],
      params: DisclosureIdParams,
      body: DisclosureCommandBodies[type],
      id: ({ params }) => params.id,
      // The body was validated by this very command's schema, so it is this command's data.
      command: ({ body, actor }) => ({ type, data: body, actor }) as DisclosureCommand,
    }),
  ),
]
