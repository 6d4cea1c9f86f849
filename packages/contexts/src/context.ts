import type { CommandActor, Decider } from '@pc/domain'
import type { EventCodec, EventStore } from '@pc/event-store'
import type { Config, Role } from '@pc/platform'
import type { PersonalDataVault } from '@pc/personal-data'
import type { LedgerProjectionOptions, Projection } from '@pc/read-models'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { z } from 'zod'
import type { DeadlineWatcher } from './kit/deadline-watcher.js'
import type { QueryDeps } from './kit/query-deps.js'

/** What a command spec's `prepare` may use: the edge's I/O, before anything is decided. */
export interface CommandServices {
  /** Seals personal fields for their data subject (DESIGN §7); forgets subjects. */
  readonly vault: PersonalDataVault
}

/** What a spec is given about the request (validated params and body, the caller, new ids). */
export interface CommandInput<Params = unknown, Body = unknown> {
  id: string
  params: Params
  body: Body
  actor: CommandActor
  /** Deterministic under an Idempotency-Key. */
  newId: () => string
}

/**
 * One command route of a context, as data (DESIGN §5): the command API turns every spec of every context into a
 * `POST` route through its one generic command route (If-Match, Idempotency-Key, correlation ids, problem+json).
 * The spec only says how the validated request becomes a command; who may send it is the decider's business.
 *
 * Declared with methods so a spec typed by `commandSpecs<…>()` (its own params and body) is one of these.
 */
export interface CommandSpec<Command, State> {
  /** Stable and unique over every context: the OpenAPI `operationId` (`reportCase`, `assignCase`). */
  readonly operationId: string
  /** Path under `/v1` (`/cases/:id/assign`). */
  readonly url: string
  readonly summary: string
  /** More than the summary says, for the OpenAPI document (the command API adds how every command works). */
  readonly description?: string
  /**
   * Who may send it at all, checked before the body is even validated (403): a caller without one of these roles
   * learns nothing of the route's shape. Finer rules (a resident's own case) stay the decider's. Default: anyone
   * authenticated.
   */
  readonly roles?: readonly Role[]
  readonly params?: z.ZodType
  readonly body: z.ZodType
  /** 201 for a command that creates its stream, else 200. */
  readonly status?: 200 | 201
  /** The aggregate's id, answered as `id`. `newId` is deterministic under an Idempotency-Key. */
  id(input: { params: unknown; body: unknown; newId: () => string }): string
  /**
   * Work at the edge before the command is built, after the caller was authenticated: sealing the body's
   * personal fields, so the decider (and every event) only ever holds envelopes. Its result is `prepared`.
   */
  prepare?(input: CommandInput, services: CommandServices): Promise<unknown>
  command(input: CommandInput & { prepared: unknown }): Command
  /** Fields added to the answer, from the state after the command. Remembered with it, so a replay has them. */
  readonly answer?: { readonly schema: z.ZodRawShape; from(input: { command: Command; state: State }): Record<string, unknown> }
}

/** A command spec with its own params and body types, checked where it is written. */
export interface TypedCommandSpec<
  Params extends z.ZodType,
  Body extends z.ZodType,
  Command,
  State,
  Answer extends z.ZodRawShape,
  Prepared,
> {
  readonly operationId: string
  readonly url: string
  readonly summary: string
  readonly description?: string
  readonly roles?: readonly Role[]
  readonly params?: Params
  readonly body: Body
  readonly status?: 200 | 201
  id(input: { params: z.output<Params>; body: z.output<Body>; newId: () => string }): string
  prepare?(input: CommandInput<z.output<Params>, z.output<Body>>, services: CommandServices): Promise<Prepared>
  command(input: CommandInput<z.output<Params>, z.output<Body>> & { prepared: Prepared }): Command
  readonly answer?: {
    readonly schema: Answer
    from(input: { command: Command; state: State }): z.output<z.ZodObject<Answer>>
  }
}

/**
 * The spec builder of one context: params and body are inferred from their schemas, the command and state are the
 * context's.
 *
 * @example
 * const spec = commandSpecs<CaseCommand, CaseState>()
 * spec({ operationId: 'holdCase', url: '/cases/:id/hold', params: CaseParams, body: HoldCaseBody, … })
 */
export function commandSpecs<Command, State>() {
  return <Params extends z.ZodType, Body extends z.ZodType, Answer extends z.ZodRawShape = Record<never, never>, Prepared = undefined>(
    spec: TypedCommandSpec<Params, Body, Command, State, Answer, Prepared>,
  ): CommandSpec<Command, State> => spec
}

/** What a context's projections may be given by the process running them. */
export interface ProjectionDeps {
  /** The ledger's signer and head interval (DESIGN §6). */
  ledger?: LedgerProjectionOptions
}

/** What a reactor (a projection that issues commands) is given. */
export interface ReactorDeps {
  store: EventStore
}

/**
 * A bounded context, described once (STYLE "One context, one descriptor"). The command API, the query API, the
 * projector, `cli rebuild`/`export` and the OpenAPI document iterate `contexts` and never name one: a new context
 * is its own folders plus one line in that list.
 */
export interface BoundedContext<Command, Event, State, DecisionContext> {
  /** Stable name, and the OpenAPI tag of its routes. */
  readonly name: string
  /** The tag's description in the OpenAPI document. */
  readonly description: string
  /** Further OpenAPI tags its routes use (`sla`, `metrics`), with their descriptions. */
  readonly tags?: Readonly<Record<string, string>>
  /** Prefix of the streams its decider writes (`case-`). Contexts sharing a stream share a prefix. */
  readonly streamPrefix: string
  /** The event types it owns; every stored type belongs to exactly one context. */
  readonly eventTypes: readonly string[]
  /** Encodes and upcasts the events of its streams. */
  readonly codec: EventCodec<Event>
  readonly decider?: Decider<Command, Event, State, DecisionContext>
  /** The decider's context for one command: time, new ids, configured policy. */
  decisionContext?(input: { now: string; newId: () => string; config: Config }): DecisionContext
  readonly commands: readonly CommandSpec<Command, State>[]
  /** Its query routes, mounted under `/v1`. */
  readonly queries?: FastifyPluginAsyncZod<QueryDeps>
  /** The read models it owns. */
  projections?(deps: ProjectionDeps): Projection[]
  /** Projections that issue commands (an objection that opens a case). */
  reactors?(deps: ReactorDeps): Projection[]
  /** Deadlines the SLA worker watches for it. */
  readonly watchers?: readonly DeadlineWatcher[]
}

/**
 * Any context, whatever its command, event and state types: the form in which services iterate the list. The
 * types are checked where each context is defined.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an existential: each context checks its own types
export type AnyContext = BoundedContext<any, any, any, any>

/** Checks a context's types where it is written; the list then holds it as `AnyContext`. */
export function defineContext<Command, Event, State, DecisionContext>(
  context: BoundedContext<Command, Event, State, DecisionContext>,
): BoundedContext<Command, Event, State, DecisionContext> {
  return Object.freeze(context)
}
