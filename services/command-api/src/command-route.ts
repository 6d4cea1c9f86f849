import { randomUUID } from 'node:crypto'
import { CommandAccepted, Problem } from '@pc/contracts'
import { nameBasedUuid, type CommandActor } from '@pc/domain'
import {
  DuplicateEventIdError,
  handleCommand,
  type CommandMetadata,
  type DeciderLike,
  type EventCodec,
  type EventStore,
  type HandleResult,
} from '@pc/event-store'
import { actorOf, toProblem } from '@pc/platform'
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyReply,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { claimKey, completeKey, releaseKey, requestFingerprint, type StoredAnswer } from './idempotency.js'
import { oneAtATime, streamCacheFor } from './stream-cache.js'

/**
 * The one way a command becomes an HTTP route (DESIGN §5): `POST`, zod-validated params and body, then the generic
 * command handler (read stream → fold → decide → append; `HandleOptions.cache` skips the read for a stream this process
 * has folded, the append's expected revision proving it current) with everything the edge adds around it:
 *
 * - the actor from the verified token (access itself is decided inside the decider: 403, or 404 for a resident
 *   touching someone else's case);
 * - `If-Match: "<revision>"` → expected revision; stale → 409 `WRONG_EXPECTED_REVISION`, never retried. Without it
 *   the handler retries a bounded number of times on a concurrent write;
 * - `Idempotency-Key` → remembered durably per caller (`idempotency.ts`): same key and same request → the first
 *   answer again (with `Idempotent-Replayed: true`) and nothing appended; same key, another request → 422
 *   `IDEMPOTENCY_KEY_REUSED`. Event ids and new ids (`newId`) are derived from the key (UUIDv5), so even a
 *   process dying between append and answer, or two requests racing, cannot append a command twice;
 * - `X-Correlation-Id` (or a new uuid) → `metadata.correlationId`, echoed back; the request id is the
 *   `causationId` (the HTTP request is what caused the events);
 * - the answer `{ id, revision, position }` (decimal strings) plus the route's own fields, and `ETag: "<revision>"`.
 *
 * @example
 * // POST /v1/cases/:id/hold, on the case stream
 * commandRoute(app, {
 *   url: '/cases/:id/hold',
 *   summary: 'Put a case on hold',
 *   params: z.object({ id: Uuid }),
 *   body: HoldCaseBody,
 *   decider: caseDecider,
 *   codec: caseEventCodec,
 *   id: ({ params }) => params.id,
 *   streamId: (id) => `case-${id}`,
 *   command: ({ body, actor }) => ({ type: 'hold', data: body, actor }),
 *   context: ({ now }) => ({ now, slaPolicy: DEFAULT_SLA_POLICY }),
 * })
 *
 * // A route that creates its stream answers 201 and takes a new id (derived from the Idempotency-Key if any):
 * commandRoute(app, { url: '/cases', status: 201, id: ({ newId }) => newId(), command: ({ id, body, actor }) =>
 *   ({ type: 'report', caseId: id, data: body, actor }), … })
 *
 * // Extra answer fields, computed from the command and the state after it:
 * commandRoute(app, { …, answer: { schema: { agreementId: Uuid },
 *   from: ({ command }) => ({ agreementId: command.data.agreementId }) } })
 */
export interface CommandRouteSpec<
  Params extends z.ZodType,
  Body extends z.ZodType,
  Command,
  Event,
  State,
  Context,
  Extra extends z.ZodRawShape,
> {
  /** Path under the plugin's prefix (`/cases/:id/assign`). */
  url: string
  /** OpenAPI summary. */
  summary: string
  tags?: string[]
  /** Default: no params. */
  params?: Params
  body: Body
  /** 201 for a command that creates its stream, else 200 (the default). */
  status?: 200 | 201
  decider: DeciderLike<Command, Event, State, Context>
  codec: EventCodec<Event>
  /** The aggregate's id, answered as `id`. `newId` is deterministic under an `Idempotency-Key`. */
  id(input: { params: z.output<Params>; body: z.output<Body>; newId: () => string }): string
  /** The stream the aggregate lives in. */
  streamId(id: string): string
  command(input: {
    id: string
    params: z.output<Params>
    body: z.output<Body>
    actor: CommandActor
    newId: () => string
  }): Command
  /** The decider's context, on the state the decision is made on (asked again on each retry). */
  context(input: { now: string; newId: () => string; actor: CommandActor; state: State }): Context
  /** Fields added to the answer. Remembered with it, so a replay answers them too. */
  answer?: {
    schema: Extra
    from(input: { command: Command; result: HandleResult<State> }): z.output<z.ZodObject<Extra>>
  }
}

/** The instance a route plugin (`FastifyPluginAsyncZod`) is given. */
export type ZodFastify = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>

/** Headers every command route understands (OpenAPI documents them; invalid ones are a 400 naming the header). */
export const CommandHeaders = z.looseObject({
  'if-match': z
    .string()
    .regex(/^"(0|[1-9][0-9]{0,18})"$/, 'must be a quoted revision, for example "3"')
    .optional()
    .describe('The revision the client decided on; a stale one is refused with 409.'),
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,200}$/, 'must be 1-200 visible ASCII characters')
    .optional()
    .describe('Same key and same request: the first answer again, nothing appended.'),
  'x-correlation-id': z.string().optional().describe('Carried into every event as metadata.correlationId.'),
})

// Like `genReqId`: a caller's id is echoed into events and headers, so only short plain tokens are kept.
const ACCEPTABLE_CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** Problems a command route may answer, for the OpenAPI document. */
const PROBLEM_RESPONSES = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 413: Problem, 422: Problem, 503: Problem }

/** Registers one command route on `app` (an encapsulated plugin under `/v1`, behind `requireAuthentication`). */
export function commandRoute<
  Params extends z.ZodType,
  Body extends z.ZodType,
  Command,
  Event,
  State,
  Context,
  Extra extends z.ZodRawShape = Record<never, never>,
>(
  app: ZodFastify,
  spec: CommandRouteSpec<Params, Body, Command, Event, State, Context, Extra>,
): void {
  const status = spec.status ?? 200
  const params = spec.params ?? z.object({})
  const accepted = CommandAccepted.extend(spec.answer?.schema ?? {})
  app.post(
    spec.url,
    {
      schema: {
        summary: spec.summary,
        ...(spec.tags && { tags: spec.tags }),
        params,
        headers: CommandHeaders,
        body: spec.body,
        response: { [status]: accepted, ...PROBLEM_RESPONSES },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request)
      const commandActor: CommandActor = { id: actor.id, roles: actor.roles, units: actor.units }
      const headers = request.headers as z.output<typeof CommandHeaders>
      const key = headers['idempotency-key']
      const ifMatch = headers['if-match']
      const sentCorrelation = headers['x-correlation-id']
      const correlationId =
        sentCorrelation !== undefined && ACCEPTABLE_CORRELATION_ID.test(sentCorrelation) ? sentCorrelation : randomUUID()
      void reply.header('x-correlation-id', correlationId)
      const body = request.body as z.output<Body>
      const routeParams = request.params as z.output<Params>
      const db = app.runtime.db

      let takeover = false
      if (key !== undefined) {
        const path = request.url.split('?', 1)[0]!
        const claim = await claimKey(db, actor.id, key, requestFingerprint(request.method, path, body))
        if (claim.kind === 'answered') return send(reply, claim.answer, true)
        takeover = claim.takeover
      }

      try {
        const ids = key === undefined ? undefined : derivedIds(actor.id, key)
        const derived = ids ? sequence(ids.newId) : undefined
        const newIds = derived ?? randomUUID
        let handedOut: string | undefined
        const id = spec.id({ params: routeParams, body, newId: () => (handedOut = newIds()) })
        const streamId = spec.streamId(id)
        const command = spec.command({ id, params: routeParams, body, actor: commandActor, newId: newIds })
        const now = new Date().toISOString()
        const metadata: CommandMetadata = {
          actor: { id: actor.id, roles: [...actor.roles] },
          occurredAt: now,
          correlationId,
          causationId: request.id,
          ...(key !== undefined && { idempotencyKey: key }),
        }
        const eventIds = ids ? ids.eventId : () => randomUUID()
        const store = app.runtime.eventStore
        const mark = derived?.mark()
        let result: HandleResult<State>
        try {
          const cache = streamCacheFor<State>(store, spec.decider, spec.codec)
          // A takeover: the store may hold an earlier append of this key's events; read the stream afresh.
          if (takeover) cache.forget(streamId)
          result = await oneAtATime(store, streamId, () =>
            handleCommand(store, spec.decider, streamId, command, {
              ...spec.codec,
              context: (state: State) => spec.context({ now, newId: newIds, actor: commandActor, state }),
              metadata,
              eventIds,
              ...(ifMatch !== undefined && { expectedRevision: BigInt(ifMatch.slice(1, -1)) }),
              ...(!takeover && {
                cache,
                // An aggregate id that is a random uuid made just now (no key) names a stream that cannot exist yet.
                assumeNew: key === undefined && handedOut !== undefined && id === handedOut,
                // A dropped cached decision must not move the key's derived ids: the fresh one gets the same.
                rewind: () => {
                  if (derived && mark !== undefined) derived.reset(mark)
                },
              }),
            }),
          )
        } catch (error) {
          // Under a key, the command may already be in the stream: appended by an owner of this key that died
          // before answering (a takeover), or found by the store under our derived ids. Answer it, append nothing.
          const earlier =
            key !== undefined && (takeover || error instanceof DuplicateEventIdError)
              ? await appliedEarlier(store, spec.decider, spec.codec, streamId, eventIds)
              : null
          if (!earlier) throw error
          result = earlier
        }
        const answer: StoredAnswer = {
          statusCode: status,
          body: {
            id,
            revision: String(result.revision),
            position: String(result.position),
            ...spec.answer?.from({ command, result }),
          },
        }
        if (key !== undefined) await completeKey(db, actor.id, key, answer)
        return send(reply, answer, false)
      } catch (error) {
        // A refused command (4xx) appended nothing: give the key back so the client may send it again. After an
        // infrastructure failure the append may have committed unseen, so the claim stays until it goes stale and
        // a retry takes over, finding whatever was appended.
        if (key !== undefined && toProblem(error).kind === 'client') {
          await releaseKey(db, actor.id, key).catch(() => undefined)
        }
        throw error
      }
    },
  )
}

function send(reply: FastifyReply, answer: StoredAnswer, replayed: boolean): FastifyReply {
  void reply.code(answer.statusCode).header('etag', `"${String(answer.body.revision)}"`)
  if (replayed) void reply.header('idempotent-replayed', 'true')
  return reply.send(answer.body)
}

// ---------------------------------------------------------------------------------------------------------------
// Ids derived from an Idempotency-Key

/** The n-th event id and the n-th new id of the request a caller sent under `key`. */
export function derivedIds(actorId: string, key: string) {
  const base = `${actorId}\u0000${key}`
  return {
    eventId: (index: number) => nameBasedUuid(`command-idempotency:${base}\u0000event\u0000${index}`),
    newId: (index: number) => nameBasedUuid(`command-idempotency:${base}\u0000id\u0000${index}`),
  }
}

/** `nth(0)`, `nth(1)`, … on each call; `mark()`/`reset()` go back to where a dropped decision started. */
function sequence(nth: (index: number) => string): (() => string) & { mark(): number; reset(to: number): void } {
  let next = 0
  return Object.assign(() => nth(next++), {
    mark: () => next,
    reset: (to: number) => {
      next = to
    },
  })
}

/** More events than any one command decides. */
const MAX_EVENTS_PER_COMMAND = 32

/**
 * The command's answer when its events (found by their derived ids) are already in the stream, or null. The state
 * is the one right after them, so `answer.from` sees what the first request saw.
 */
async function appliedEarlier<Command, Event, State, Context>(
  store: EventStore,
  decider: DeciderLike<Command, Event, State, Context>,
  codec: EventCodec<Event>,
  streamId: string,
  eventIds: (index: number) => string,
): Promise<HandleResult<State> | null> {
  const ours = new Set(Array.from({ length: MAX_EVENTS_PER_COMMAND }, (_, i) => eventIds(i)))
  let state = decider.initialState
  let found = 0
  let last: { revision: bigint; position: bigint; state: State } | null = null
  for await (const event of store.readStream(streamId)) {
    state = decider.evolve(state, codec.fromStored(event))
    if (ours.has(event.eventId)) {
      found++
      last = { revision: event.revision, position: event.position, state }
    } else if (last) {
      break
    }
  }
  return last && { streamId, ...last, appended: found }
}
