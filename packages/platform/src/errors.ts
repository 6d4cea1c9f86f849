/** The environment does not describe a configuration we can run with. Printed as one line, never a stack. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

// Errors a request can meet are the shared vocabulary of `@pc/contracts`, mapped once in `http/problem.ts`.
export { IdempotencyKeyReusedError, UnauthenticatedError } from '@pc/contracts/errors'
