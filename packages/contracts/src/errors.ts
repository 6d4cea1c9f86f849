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
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  UNAVAILABLE: { status: 503, title: 'Service unavailable' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>

export type ErrorCode = keyof typeof ErrorCode

/** One failing field of a request: `path` is dotted (`location.building`, `lineItems.0.amountFen`). */
export const FieldError = z.object({ path: z.string(), message: z.string() })
export type FieldError = z.infer<typeof FieldError>

/** RFC 9457 problem details, as every error response carries it (`application/problem+json`). */
export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  code: z.enum(Object.keys(ErrorCode) as [ErrorCode, ...ErrorCode[]]),
  detail: z.string().optional(),
  instance: z.string().optional(),
  /** For VALIDATION_FAILED: the failing fields. */
  errors: z.array(FieldError).optional(),
  /** For RULE_VIOLATED: which rule. */
  rule: z.string().optional(),
})
export type Problem = z.infer<typeof Problem>
