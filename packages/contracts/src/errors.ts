import { z } from 'zod'

/**
 * Every error code a client can see, in one place (Fastify keeps its codes in `lib/errors.js` the same way).
 * Codes are a contract: never rename one.
 */
export const ErrorCode = {
  VALIDATION_FAILED: { status: 400, title: 'Validation failed' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  FORBIDDEN: { status: 403, title: 'Forbidden' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  WRONG_EXPECTED_REVISION: { status: 409, title: 'Wrong expected revision' },
  RULE_VIOLATED: { status: 422, title: 'Business rule violated' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'Idempotency key reused with another request' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  UNAVAILABLE: { status: 503, title: 'Service unavailable' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>

export type ErrorCode = keyof typeof ErrorCode

/** One failing field of a request: `path` is dotted (`location.building`, `lineItems.0.amountFen`). */
export const FieldError = z.object({ path: z.string(), message: z.string() })
export type FieldError = z.infer<typeof FieldError>

/** A stable, dereference-free URI per code (RFC 9457 `type`); clients switch on `code`. */
export function problemType(code: ErrorCode): string {
  return `urn:property-cases:problem:${code.toLowerCase().replaceAll('_', '-')}`
}

const codes = Object.keys(ErrorCode) as [ErrorCode, ...ErrorCode[]]

/**
 * RFC 9457 problem details, as every error response carries it (`application/problem+json`). Extension members
 * beyond these are allowed, as RFC 9457 §3.2 says; a client ignores the ones it does not know.
 */
export const Problem = z
  .looseObject({
    type: z
      .string()
      .describe(`urn:property-cases:problem:<code in kebab case>, one per code: ${codes.map(problemType).join(', ')}`),
    title: z.string().describe("The code's title, the same for every occurrence"),
    status: z.number().int().describe('The HTTP status code of the response'),
    code: z.enum(codes).describe('Stable: what a client switches on'),
    detail: z.string().optional().describe('What went wrong in this occurrence, for a person'),
    instance: z.string().optional(),
    /** For VALIDATION_FAILED: the failing fields. */
    errors: z.array(FieldError).optional().describe('VALIDATION_FAILED (and some RULE_VIOLATED): the failing fields, dotted'),
    /** For RULE_VIOLATED: which rule. */
    rule: z.string().optional().describe('RULE_VIOLATED: which rule (INVALID_TRANSITION, REVIEW_REQUIRED, …)'),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details (application/problem+json)' })
export type Problem = z.infer<typeof Problem>

/** The statuses an error may answer with (500 is never documented: it is a bug). */
export type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503

const PROBLEM_STATUSES: readonly ProblemStatus[] = [400, 401, 403, 404, 409, 413, 415, 422, 429, 503]

/**
 * The Problem a response of `status` carries, its `code` narrowed to the codes of that status (409 →
 * `WRONG_EXPECTED_REVISION`): `allOf` the one `Problem` schema in the OpenAPI document, so a generated client sees
 * a Problem whose code it can switch on. Built from the `ErrorCode` table, so the serializer accepts every code the
 * edge maps to that status.
 */
function narrowedProblem(status: ProblemStatus): z.ZodType {
  const narrowed = codes.filter((code) => ErrorCode[code].status === status) as [ErrorCode, ...ErrorCode[]]
  return z
    .intersection(
      Problem,
      z.looseObject({ status: z.literal(status), code: z.enum(narrowed), type: z.enum(narrowed.map(problemType) as [string, ...string[]]) }),
    )
    .meta({ id: `Problem${status}`, description: narrowed.map((code) => `${code}: ${ErrorCode[code].title}`).join('; ') })
}

/** One schema per status, made once: the OpenAPI document references each by its id. */
const PROBLEMS_BY_STATUS: Readonly<Record<ProblemStatus, z.ZodType>> = Object.freeze(
  Object.fromEntries(PROBLEM_STATUSES.map((status) => [status, narrowedProblem(status)])) as Record<ProblemStatus, z.ZodType>,
)

/**
 * The Problem schema of a status (see `narrowedProblem`).
 *
 * @example
 * response: { 200: View, ...problemResponses([400, 401, 404]) }
 */
export function problemFor(status: ProblemStatus): z.ZodType {
  return PROBLEMS_BY_STATUS[status]
}

/** Whether a route's response schema is a Problem (the OpenAPI document files it as application/problem+json). */
export function isProblemSchema(schema: unknown): boolean {
  return schema === Problem || Object.values(PROBLEMS_BY_STATUS).includes(schema as z.ZodType)
}

/** A response map entry per status, for a route's `schema.response`. */
export function problemResponses(statuses: readonly ProblemStatus[]): Record<number, z.ZodType> {
  return Object.fromEntries(statuses.map((status) => [status, problemFor(status)]))
}

/**
 * The one error vocabulary (STYLE "Errors"): everything a package throws on purpose carries the stable `code` of
 * `ErrorCode`, and the HTTP edge maps it to problem+json in one place (`toProblem` in `@pc/platform`). Domain
 * rules, access, stores and the platform's own checks all throw these; nothing below the edge knows HTTP.
 */
export class ProblemError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/**
 * A command that the rules forbid in the current state. HTTP 422 `RULE_VIOLATED`, with `rule` naming what was
 * violated (for example `INVALID_TRANSITION`, `REVIEW_REQUIRED`).
 */
export class RuleViolationError extends ProblemError {
  override readonly name = 'RuleViolationError'
  constructor(
    readonly rule: string,
    message: string,
    /** The field the rule is about, reported like a validation field. */
    readonly field?: string,
  ) {
    super('RULE_VIOLATED', message)
  }
}

/** The actor's role does not allow it. HTTP 403 `FORBIDDEN`. */
export class ForbiddenError extends ProblemError {
  override readonly name = 'ForbiddenError'
  constructor(message = 'forbidden') {
    super('FORBIDDEN', message)
  }
}

/**
 * The thing does not exist — or exists but the actor may not know it does (a resident asking about another
 * resident's case gets the same answer as for a case that was never reported). HTTP 404 `NOT_FOUND`.
 */
export class NotFoundError extends ProblemError {
  override readonly name = 'NotFoundError'
  constructor(message = 'not found') {
    super('NOT_FOUND', message)
  }
}

/** No credentials, or credentials that do not verify (bad signature, expired, malformed claims). HTTP 401. */
export class UnauthenticatedError extends ProblemError {
  override readonly name = 'UnauthenticatedError'
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAUTHENTICATED', message, options)
  }
}

/** An `Idempotency-Key` already used with another request. HTTP 422: the client must pick a new key. */
export class IdempotencyKeyReusedError extends ProblemError {
  override readonly name = 'IdempotencyKeyReusedError'
  constructor(readonly key: string) {
    super('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was already used with a different request')
  }
}

/**
 * A request body in a media type or character set the API does not read (only `application/json` in UTF-8).
 * HTTP 415, with the `Content-Type` header named as the failing field.
 */
export class UnsupportedMediaTypeError extends ProblemError {
  override readonly name = 'UnsupportedMediaTypeError'
  constructor(message = 'must be application/json in UTF-8') {
    super('UNSUPPORTED_MEDIA_TYPE', message)
  }
}

/** The stream was not where the writer expected it (optimistic concurrency). HTTP 409. */
export class WrongExpectedRevisionError extends ProblemError {
  override readonly name = 'WrongExpectedRevisionError'
  constructor(
    readonly streamId: string,
    readonly expected: 'any' | 'no_stream' | 'stream_exists' | bigint,
    /** The stream's last revision, or 'no_stream'. */
    readonly actual: bigint | 'no_stream',
  ) {
    super('WRONG_EXPECTED_REVISION', `stream ${streamId}: expected revision ${String(expected)}, actual ${String(actual)}`)
  }
}

/**
 * The caller sent more requests than its limit allows in the current window. HTTP 429 `RATE_LIMITED` with
 * `Retry-After` and the `RateLimit-*` headers, all in seconds.
 */
export class RateLimitedError extends ProblemError {
  override readonly name = 'RateLimitedError'
  constructor(
    message: string,
    /** The requests (or failed authentications) the window allows. */
    readonly limit: number,
    /** Seconds until the window resets and the caller may try again. */
    readonly retryAfterSeconds: number,
  ) {
    super('RATE_LIMITED', message)
  }
}

/** A backing service (the event store, the database) cannot be reached or failed. HTTP 503. */
export class StoreUnavailableError extends ProblemError {
  override readonly name = 'StoreUnavailableError'
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAVAILABLE', message, options)
  }
}
