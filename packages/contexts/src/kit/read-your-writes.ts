import { DecimalString } from '@pc/contracts'
import { projectionPosition, waitForProjections } from '@pc/read-models'
import type { FastifyReply } from 'fastify'
import { z } from 'zod'
import type { QueryDeps } from './query-deps.js'

/** The response header naming how far the read models behind the answer had got (decimal global position). */
export const PROJECTION_POSITION_HEADER = 'x-projection-position'
/** Set to `true` when `waitFor` was not reached in time and the answer may not show that write yet. */
export const PROJECTION_STALE_HEADER = 'x-projection-stale'
/** The query parameter every query route takes. */
export const WaitForQuery = z.object({
  waitFor: DecimalString.optional().describe(
    'A position a command answered with: wait (up to 5 s) until the read models behind this query have applied it',
  ),
})

export interface ReadOptions {
  /** The projections the route reads; empty for a route that reads the event store only. */
  projections: readonly string[]
  /** The projections whose position the header reports (default: `projections`). */
  reportPositionOf?: readonly string[]
  waitFor: string | undefined
}

/**
 * Read your writes (DESIGN §5). Call first in a query handler:
 * - with `waitFor`, waits until every projection the route reads has applied the event at that position (in
 *   delivery order, see `waitForProjections`); a route that reads only the event store waits until that event is
 *   stored. After `waitForTimeoutMs` the query answers anyway, with `X-Projection-Stale: true`: the client gets the data
 *   it can have and knows to retry, rather than a 503 for a projector that is merely behind;
 * - always sets `X-Projection-Position`: the position of the projection furthest behind, read BEFORE the data, so
 *   the answer reflects at least that position and passing it back as `waitFor` never waits.
 *
 * @example
 * await readAt(deps, reply, { projections: [CASE_LIST_PROJECTION], waitFor: request.query.waitFor })
 */
export async function readAt(deps: QueryDeps, reply: FastifyReply, options: ReadOptions): Promise<void> {
  const { db } = deps
  if (options.waitFor !== undefined) {
    const reached = await waitForProjections(db, deps.store, options.projections, BigInt(options.waitFor), {
      timeoutMs: deps.waitForTimeoutMs,
    })
    if (!reached) void reply.header(PROJECTION_STALE_HEADER, 'true')
  }
  void reply.header(PROJECTION_POSITION_HEADER, await projectionPosition(db, options.reportPositionOf ?? options.projections))
}
