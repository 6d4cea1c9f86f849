/**
 * Errors the platform itself raises. Domain errors live in `@pc/domain`, store errors in `@pc/event-store`;
 * `http/problem.ts` maps all of them to problem+json in one place.
 */

/** The environment does not describe a configuration we can run with. Printed as one line, never a stack. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

/** No credentials, or credentials that do not verify (bad signature, expired, malformed claims). HTTP 401. */
export class UnauthenticatedError extends Error {
  override readonly name = 'UnauthenticatedError'
}

/**
 * An `Idempotency-Key` that was already used with a different request body. HTTP 422
 * `IDEMPOTENCY_KEY_REUSED`: the client must pick a new key for a new request.
 */
export class IdempotencyKeyReusedError extends Error {
  override readonly name = 'IdempotencyKeyReusedError'
  constructor(readonly key: string) {
    super('this Idempotency-Key was already used with a different request')
  }
}
