import {
  ErrorCode,
  ProblemError,
  problemType,
  RateLimitedError,
  RuleViolationError,
  StoreUnavailableError,
  WrongExpectedRevisionError,
  type FieldError,
  type Problem,
} from '@pc/contracts'

/**
 * The one mapping from anything thrown while serving a request to RFC 9457 problem details (STYLE "Errors":
 * mapped once at the edge). Three kinds:
 * - `client`: the request is wrong or not allowed — answered with what is wrong, logged at debug;
 * - `unavailable`: a dependency is down — 503, logged as a warning with the cause;
 * - `internal`: a bug — 500 without internals, logged with the stack.
 */
export interface MappedError {
  problem: Problem
  kind: 'client' | 'unavailable' | 'internal'
  headers?: Record<string, string>
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

/**
 * Problem details for a code. `title` and `status` come from the one table in `@pc/contracts`.
 *
 * @example
 * reply.code(404).type(PROBLEM_CONTENT_TYPE).send(problem('NOT_FOUND', { detail: 'no such case' }))
 */
export function problem(
  code: ErrorCode,
  extra: { detail?: string; instance?: string; errors?: FieldError[]; rule?: string } = {},
): Problem {
  const { status, title } = ErrorCode[code]
  const body: Problem = { type: problemType(code), title, status, code }
  if (extra.detail !== undefined) body.detail = extra.detail
  if (extra.instance !== undefined) body.instance = extra.instance
  if (extra.errors !== undefined) body.errors = extra.errors
  if (extra.rule !== undefined) body.rule = extra.rule
  return body
}

/** What Fastify and its schema validators attach to an error. */
interface FastifyLikeError {
  code?: unknown
  statusCode?: unknown
  message?: unknown
  validation?: ReadonlyArray<{ instancePath?: string; message?: string; params?: Record<string, unknown> }>
  validationContext?: string
}

interface ZodLikeIssue {
  path: ReadonlyArray<PropertyKey>
  message: string
  /** `unrecognized_keys`: the keys a strict object does not know. */
  keys?: ReadonlyArray<string>
}

export function toProblem(error: unknown): MappedError {
  if (error instanceof ProblemError) return fromProblemError(error)
  if (isZodError(error)) {
    return { problem: problem('VALIDATION_FAILED', { detail: 'the request is not valid', errors: zodFields(error.issues) }), kind: 'client' }
  }
  if (isUnavailable(error)) {
    return { problem: problem('UNAVAILABLE', { detail: UNAVAILABLE_DETAIL }), kind: 'unavailable' }
  }
  const fastify = fastifyProblem(error)
  if (fastify) return { problem: fastify, kind: 'client' }
  return { problem: problem('INTERNAL', { detail: 'an unexpected error occurred' }), kind: 'internal' }
}

const UNAVAILABLE_DETAIL = 'a backing service is unavailable; retry later'

/** The shared vocabulary: the code is the error's own; some codes carry more than a message. */
function fromProblemError(error: ProblemError): MappedError {
  switch (error.code) {
    case 'UNAVAILABLE':
      // The store's message may name hosts or SQL: the client only learns that it should retry.
      return { problem: problem('UNAVAILABLE', { detail: UNAVAILABLE_DETAIL }), kind: 'unavailable' }
    case 'INTERNAL':
      return { problem: problem('INTERNAL', { detail: 'an unexpected error occurred' }), kind: 'internal' }
    case 'UNSUPPORTED_MEDIA_TYPE':
      return { problem: unsupportedMediaType(error.message), kind: 'client' }
    case 'UNAUTHENTICATED':
      return {
        problem: problem('UNAUTHENTICATED', { detail: error.message }),
        kind: 'client',
        headers: { 'www-authenticate': 'Bearer realm="property-cases"' },
      }
  }
  if (error instanceof RateLimitedError) {
    return {
      problem: problem('RATE_LIMITED', { detail: error.message }),
      kind: 'client',
      // RFC 9110 `Retry-After` and the IETF draft's `RateLimit-*` (the names @fastify/rate-limit's draft mode uses).
      headers: {
        'retry-after': String(error.retryAfterSeconds),
        'ratelimit-limit': String(error.limit),
        'ratelimit-remaining': '0',
        'ratelimit-reset': String(error.retryAfterSeconds),
      },
    }
  }
  if (error instanceof RuleViolationError) {
    const errors = error.field === undefined ? undefined : [{ path: error.field, message: error.message }]
    return { problem: problem('RULE_VIOLATED', { detail: error.message, rule: error.rule, ...(errors && { errors }) }), kind: 'client' }
  }
  if (error instanceof WrongExpectedRevisionError) {
    const detail = `expected revision ${String(error.expected)}, but the stream is at ${String(error.actual)}`
    return { problem: problem('WRONG_EXPECTED_REVISION', { detail }), kind: 'client' }
  }
  return { problem: problem(error.code, { detail: error.message }), kind: 'client' }
}

/** Errors raised by Fastify itself and by its schema validation (zod through fastify-type-provider-zod). */
function fastifyProblem(error: unknown): Problem | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const e = error as FastifyLikeError
  if (Array.isArray(e.validation)) {
    return problem('VALIDATION_FAILED', {
      detail: `the request ${contextName(e.validationContext)} is not valid`,
      errors: e.validation.flatMap((issue) => {
        const message = issue.message ?? 'is invalid'
        // A strict object's unknown keys (zod `unrecognized_keys`) are named one by one, like a missing one.
        const unknownKeys = issue.params?.keys
        if (Array.isArray(unknownKeys) && unknownKeys.length > 0) {
          return unknownKeys.map((key) => ({ path: fieldPath(e.validationContext, issue.instancePath, String(key)), message }))
        }
        return [{ path: fieldPath(e.validationContext, issue.instancePath, issue.params?.missingProperty), message }]
      }),
    })
  }
  const code = typeof e.code === 'string' ? e.code : ''
  if (!code.startsWith('FST_')) return undefined
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500
  const message = typeof e.message === 'string' ? e.message : ''
  switch (code) {
    case 'FST_ERR_HANDLER_TIMEOUT':
      // `REQUEST_TIMEOUT_MS` ran out, in practice waiting for the database: retry later, like any outage.
      return problem('UNAVAILABLE', { detail: UNAVAILABLE_DETAIL })
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem('PAYLOAD_TOO_LARGE', { detail: 'the request body is larger than this server accepts' })
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return unsupportedMediaType('must be application/json')
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return problem('VALIDATION_FAILED', { detail: 'a path parameter is too long', errors: [{ path: 'params', message: 'is longer than 100 characters' }] })
    case 'FST_ERR_BAD_URL':
      return problem('VALIDATION_FAILED', { detail: 'the URL is not valid', errors: [{ path: 'url', message: 'is not a valid URL (a malformed percent-encoding?)' }] })
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return problem('VALIDATION_FAILED', { detail: message, errors: [{ path: 'body', message }] })
  }
  if (status === 404) return problem('NOT_FOUND', { detail: message })
  if (status === 429) return problem('RATE_LIMITED', { detail: message })
  if (status === 413) return problem('PAYLOAD_TOO_LARGE', { detail: message })
  if (status >= 400 && status < 500) return problem('VALIDATION_FAILED', { detail: message })
  return undefined
}

/** 415, naming the header to fix like a validation field. */
function unsupportedMediaType(message: string): Problem {
  return problem('UNSUPPORTED_MEDIA_TYPE', {
    detail: 'unsupported content type',
    errors: [{ path: 'headers.content-type', message }],
  })
}

function contextName(context: string | undefined): string {
  return context === 'querystring' ? 'query' : (context ?? 'body')
}

/** `/location/building` in the body → `location.building`; in the query → `query.limit`. */
function fieldPath(context: string | undefined, instancePath: string | undefined, missing: unknown): string {
  const segments = (instancePath ?? '').split('/').filter((s) => s !== '')
  if (typeof missing === 'string') segments.push(missing)
  const name = contextName(context)
  if (name === 'body') return segments.length === 0 ? 'body' : segments.join('.')
  return [name, ...segments].join('.')
}

function isZodError(error: unknown): error is { issues: ZodLikeIssue[] } {
  // By shape rather than `instanceof`: two copies of zod in the dependency tree must not turn a 400 into a 500.
  return (
    error instanceof Error && error.name === 'ZodError' && Array.isArray((error as { issues?: unknown }).issues)
  )
}

function zodFields(issues: ZodLikeIssue[]): FieldError[] {
  return issues.flatMap((issue) => {
    const paths = Array.isArray(issue.keys) ? issue.keys.map((key) => [...issue.path, key]) : [issue.path]
    return paths.map((path) => ({ path: path.length === 0 ? 'body' : path.map(String).join('.'), message: issue.message }))
  })
}

// SQLSTATE classes meaning "the database is not there right now" rather than "the query is wrong":
// 08 connection exception, 57P01-57P03 shutdown / cannot connect now, 53300 too many connections, and the
// timeouts we set: 57014 query_canceled (statement_timeout), 25P03 idle_in_transaction_session_timeout.
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300|57014|25P03)$/
const UNAVAILABLE_NET: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN'])
// node-postgres reports these without a code.
const UNAVAILABLE_MESSAGES = ['Connection terminated', 'timeout exceeded when trying to connect', 'Client was closed', 'Query read timeout']

/** Infrastructure that is down: the store's own error, or a pg / socket failure, possibly wrapped as `cause`. */
export function isUnavailable(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== 'object' || error === null) return false
  if (error instanceof StoreUnavailableError) return true
  const { code, message, cause } = error as { code?: unknown; message?: unknown; cause?: unknown }
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_NET.has(code))) return true
  if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => message.startsWith(m))) return true
  if (error instanceof AggregateError && error.errors.some((e) => isUnavailable(e, depth + 1))) return true
  return isUnavailable(cause, depth + 1)
}
