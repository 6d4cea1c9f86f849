import { randomUUID } from 'node:crypto'
import { CommandAccepted, problemResponses } from '@pc/contracts'
import type { AnyContext, CommandSpec } from '@pc/contexts'
import { nameBasedUuid, type CommandActor } from '@pc/domain'
import {
  DuplicateEventIdError,
  foldStream,
  handleCached,
  handleCommand,
  type CommandMetadata,
  type EventStore,
  type HandleResult,
} from '@pc/event-store'
import type { PersonalDataVault } from '@pc/personal-data'
import { actorOf, emptyBodyWhenAbsent, ETAG, requireRoles, type Config, type DatabaseTables } from '@pc/platform'
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyReply,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Kysely } from 'kysely'
import { z } from 'zod'
import type { CommandStreams } from './command-streams.js'
import { idempotently, requestFingerprint, type StoredAnswer } from './idempotency.js'

/** The instance a route plugin (`FastifyPluginAsyncZod`) is given. */
export type ZodFastify = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>

/** What every command route needs: where keys and events go, the configuration, this app's stream caches. */
export interface CommandRouteDeps {
  db: Kysely<DatabaseTables>
  store: EventStore
  config: Config
  /** Seals personal fields before the decider sees them (DESIGN §7). */
  vault: PersonalDataVault
  streams: CommandStreams
}

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

/**
 * Problems a command route may answer: a bad body or header, no token, a role or an access rule, an aggregate that is
 * not there (or not the caller's), a stale `If-Match`, a body too large, a body not JSON, a rule or a reused key, the
 * rate limit, the store down. A command that creates its stream cannot answer 404.
 */
const problemsOf = (status: 200 | 201) =>
  problemResponses([400, 401, 403, ...(status === 201 ? [] : [404] as const), 409, 413, 415, 422, 429, 503])

/** What a command's answer carries in headers, for the OpenAPI document. */
const COMMAND_HEADERS = {
  ETag: ETAG,
  'X-Correlation-Id': {
    description: "The correlation id carried into the command's events: yours, when it was a plain token, else a new one.",
    schema: { type: 'string' },
    required: true,
  },
} as const

const COMMAND_DESCRIPTION =
  'A command (DESIGN §5): it is decided against the current state of the stream and appended as events. Send ' +
  '`If-Match` with the revision you decided on (a stale one is refused with 409, never retried) and an ' +
  '`Idempotency-Key` to retry safely (the first answer again, nothing appended twice). The answer names the ' +
  'revision and the global position: pass the position as `waitFor` to a query to read your write.'

const NoParams = z.object({})

/**
 * The one way a command becomes an HTTP route (DESIGN §5): `POST`, zod-validated params and body, then the generic
 * command handler (read stream → fold → decide → append; `handleCached` skips the read for a stream this app has
 * folded, the append's expected revision proving it current), with what the edge adds around it:
 *
 * - the actor from the verified token (access itself is decided inside the decider: 403, or 404 for a resident
 *   touching someone else's case);
 * - `If-Match: "<revision>"` → expected revision; stale → 409 `WRONG_EXPECTED_REVISION`, never retried;
 * - `Idempotency-Key` → `idempotently` (`idempotency.ts`): the first answer again, or 422 for another request.
 *   Event ids and new ids are derived from the key (UUIDv5), so even a process dying between append and answer,
 *   or two requests racing, cannot append a command twice;
 * - `X-Correlation-Id` (or a new uuid) → `metadata.correlationId`, echoed back; the request id is the `causationId`;
 * - the answer `{ id, revision, position }` (decimal strings) plus the spec's own fields, and `ETag: "<revision>"`.
 *
 * @example
 * for (const context of contexts) for (const spec of context.commands) commandRoute(v1, context, spec, deps)
 */
export function commandRoute<Command, State>(
  app: ZodFastify,
  context: AnyContext,
  spec: CommandSpec<Command, State>,
  deps: CommandRouteDeps,
): void {
  const status = spec.status ?? 200
  app.post(
    spec.url,
    {
      // Before the body is validated: a caller without the role learns nothing of the route's shape.
      preValidation: [
        ...(spec.roles ? [requireRoles(...spec.roles)] : []),
        // A body whose every field is optional may be left out altogether.
        ...(spec.body.safeParse({}).success ? [emptyBodyWhenAbsent] : []),
      ],
      schema: {
        operationId: spec.operationId,
        summary: spec.summary,
        description: spec.description === undefined ? COMMAND_DESCRIPTION : `${spec.description}\n\n${COMMAND_DESCRIPTION}`,
        tags: [context.name],
        params: spec.params ?? NoParams,
        headers: CommandHeaders,
        body: spec.body,
        response: { [status]: CommandAccepted.extend(spec.answer?.schema ?? {}), ...problemsOf(status) },
        responseHeaders: COMMAND_HEADERS,
      },
    },
    async (request, reply) => {
      const actor = actorOf(request)
      const { 'idempotency-key': key, 'if-match': ifMatch, 'x-correlation-id': sent } = request.headers
      const correlationId = sent !== undefined && ACCEPTABLE_CORRELATION_ID.test(sent) ? sent : randomUUID()
      void reply.header('x-correlation-id', correlationId)
      const run = (takeover: boolean, idsSeed: string | null) =>
        execute(context, spec, deps, {
          actor: { id: actor.id, roles: actor.roles, units: actor.units },
          params: request.params,
          body: request.body,
          key,
          idsSeed,
          takeover,
          metadata: { actor: { id: actor.id, roles: [...actor.roles] }, correlationId, causationId: request.id },
          ...(ifMatch !== undefined && { expectedRevision: BigInt(ifMatch.slice(1, -1)) }),
        })
      if (key === undefined) return send(reply, await run(false, null), false)
      const fingerprint = requestFingerprint(request.method, request.url.split('?', 1)[0]!, request.body)
      const { answer, replayed } = await idempotently(
        deps.db,
        { actorId: actor.id, key, fingerprint, staleClaimMs: deps.config.requestTimeoutMs },
        ({ takeover, idsSeed }) => run(takeover, idsSeed),
      )
      return send(reply, answer, replayed)
    },
  )
}

interface Invocation {
  actor: CommandActor
  params: unknown
  body: unknown
  key: string | undefined
  /** The claim's seed, mixed into the derived ids (null: a key claimed before seeds existed). */
  idsSeed: string | null
  /** The key's earlier owner died mid-command: the store may hold its events. */
  takeover: boolean
  metadata: Omit<CommandMetadata, 'occurredAt'>
  expectedRevision?: bigint
}

/** Turns the validated request into the command, runs it through the handler, and shapes the answer. */
async function execute<Command, State>(
  context: AnyContext,
  spec: CommandSpec<Command, State>,
  deps: CommandRouteDeps,
  call: Invocation,
): Promise<StoredAnswer> {
  const decider = context.decider
  if (!decider || !context.decisionContext) throw new Error(`context ${context.name} has commands but no decider`)
  const ids = call.key === undefined ? undefined : derivedIds(call.actor.id, call.key, call.idsSeed)
  const newId = ids ? sequence(ids.newId) : Object.assign(randomUUID, { mark: () => 0, reset: () => undefined })
  let handedOut: string | undefined
  const id = spec.id({ params: call.params, body: call.body, newId: () => (handedOut = newId()) })
  const streamId = `${context.streamPrefix}${id}`
  const input = { id, params: call.params, body: call.body, actor: call.actor, newId }
  const prepared = await spec.prepare?.(input, { vault: deps.vault })
  const command = spec.command({ ...input, prepared })
  const now = new Date().toISOString()
  const mark = newId.mark()
  const eventIds = ids ? ids.eventId : () => randomUUID()
  const options = {
    codec: context.codec,
    // Every attempt (a cached one dropped, a conflict retried) hands out the same new ids again.
    context: () => {
      newId.reset(mark)
      return context.decisionContext!({ now, newId, config: deps.config })
    },
    metadata: { ...call.metadata, occurredAt: now, ...(call.key !== undefined && { idempotencyKey: call.key }) },
    eventIds,
    ...(call.expectedRevision !== undefined && { expectedRevision: call.expectedRevision }),
  }
  const cache = deps.streams.cacheFor<State>(context)
  let result: HandleResult<State>
  try {
    result = await deps.streams.queue.run(streamId, () => {
      if (!call.takeover) {
        // An aggregate id that is a random uuid made just now (no key) names a stream that cannot exist yet.
        const assumeNew = call.key === undefined && handedOut !== undefined && id === handedOut
        return handleCached(cache, deps.store, decider, streamId, command, { ...options, assumeNew })
      }
      cache.forget(streamId)
      return handleCommand(deps.store, decider, streamId, command, options)
    })
  } catch (error) {
    // Under a key, the command may already be in the stream: appended by an owner of this key that died before
    // answering (a takeover), or found by the store under our derived ids. Answer it, append nothing.
    const earlier =
      call.key !== undefined && (call.takeover || error instanceof DuplicateEventIdError)
        ? await appliedEarlier<State>(deps.store, context, streamId, eventIds)
        : null
    if (!earlier) throw error
    result = earlier
  }
  return {
    statusCode: spec.status ?? 200,
    body: {
      id,
      revision: String(result.revision),
      position: String(result.position),
      ...spec.answer?.from({ command, state: result.state }),
    },
  }
}

function send(reply: FastifyReply, answer: StoredAnswer, replayed: boolean): FastifyReply {
  void reply.code(answer.statusCode).header('etag', `"${String(answer.body.revision)}"`)
  if (replayed) void reply.header('idempotent-replayed', 'true')
  return reply.send(answer.body)
}

/**
 * The n-th event id and the n-th new id of the request a caller sent under `key`, in the claim `seed` (so a key
 * reused after its purge derives other ids; null keeps the ids of keys claimed before seeds existed).
 */
export function derivedIds(actorId: string, key: string, seed: string | null = null) {
  const base = seed === null ? `${actorId}\u0000${key}` : `${actorId}\u0000${key}\u0000${seed}`
  return {
    eventId: (index: number) => nameBasedUuid(`command-idempotency:${base}\u0000event\u0000${index}`),
    newId: (index: number) => nameBasedUuid(`command-idempotency:${base}\u0000id\u0000${index}`),
  }
}

/** `nth(0)`, `nth(1)`, … on each call; `mark()`/`reset()` go back to where an attempt started. */
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
 * The command's result when its events (found by their derived ids) are already in the stream, or null: the
 * stream folded up to the last of them, so `answer.from` sees what the first request saw.
 */
async function appliedEarlier<State>(
  store: EventStore,
  context: AnyContext,
  streamId: string,
  eventIds: (index: number) => string,
): Promise<HandleResult<State> | null> {
  const ours: ReadonlySet<string> = new Set(Array.from({ length: MAX_EVENTS_PER_COMMAND }, (_, i) => eventIds(i)))
  let found = 0
  const head = await foldStream<State, unknown>(store, context.decider!, context.codec, streamId, (event) => {
    if (ours.has(event.eventId)) found++
    else if (found > 0) return true
    return false
  })
  if (found === 0 || head.revision === null || head.position === null) return null
  return { ...head, streamId, revision: head.revision, position: head.position, appended: found }
}
