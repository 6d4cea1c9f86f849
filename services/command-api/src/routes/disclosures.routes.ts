import { DisclosureCommandBodies, DisclosureCommandRoutes, DisclosureIdParams, type DisclosureCommandRoute } from '@pc/contracts'
import {
  disclosureDecider,
  disclosureEventCodec,
  disclosureStreamId,
  type DisclosureCommand,
  type DisclosureContext,
} from '@pc/domain'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { commandRoute } from '../command-route.js'

/**
 * Disclosure commands (公示, DESIGN §4–§5, issue 6): `POST /v1/disclosures` (201, a draft) and
 * `POST /v1/disclosures/:id/{revise,publish,corrections,comments,objections,committee-review,retract}` (200), each
 * with the zod body of `@pc/contracts`. Who may do what, and every content rule, is the decider's; a route only
 * turns the request into a command. `advanceNoticeDays` comes from the configuration
 * (`DISCLOSURE_ADVANCE_NOTICE_DAYS`).
 */

const SUMMARIES: Record<DisclosureCommandRoute, string> = {
  revise: 'Replace a draft (drafts only)',
  publish: 'Publish a draft as version 1, with its contentHash',
  corrections: 'Publish a correction as version n + 1, recording the previous hash and the reason',
  comments: 'Comment on a published disclosure (residents, committee members)',
  objections: 'Object to a published disclosure; opens a linked complaint case (residents)',
  'committee-review': 'Record the committee’s review of the current version (acknowledged or disputed)',
  retract: 'Retract a published disclosure; it stays readable, marked retracted',
}

type RoutedCommandType = (typeof DisclosureCommandRoutes)[DisclosureCommandRoute]

export const disclosuresRoutes: FastifyPluginAsyncZod = async (app) => {
  const { disclosureAdvanceNoticeDays } = app.runtime.config
  const disclosureStream = {
    decider: disclosureDecider,
    codec: disclosureEventCodec,
    streamId: disclosureStreamId,
    tags: ['disclosures'],
    context: ({ now, newId }: { now: string; newId: () => string }): DisclosureContext => ({
      now,
      newId,
      advanceNoticeDays: disclosureAdvanceNoticeDays,
    }),
  }

  commandRoute(app, {
    ...disclosureStream,
    url: '/disclosures',
    summary: 'Draft a disclosure (managers)',
    status: 201,
    body: DisclosureCommandBodies.draft,
    id: ({ newId }) => newId(),
    command: ({ id, body, actor }): DisclosureCommand => ({ type: 'draft', disclosureId: id, data: body, actor }),
  })

  for (const [route, type] of Object.entries(DisclosureCommandRoutes) as Array<[DisclosureCommandRoute, RoutedCommandType]>) {
    commandRoute(app, {
      ...disclosureStream,
      url: `/disclosures/:id/${route}`,
      summary: SUMMARIES[route],
      params: DisclosureIdParams,
      body: DisclosureCommandBodies[type],
      id: ({ params }) => params.id,
      // The body was validated by this very command's schema, so it is this command's data.
      command: ({ body, actor }) => ({ type, data: body, actor }) as DisclosureCommand,
    })
  }
}
