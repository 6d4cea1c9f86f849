/**
 * A command that the rules forbid in the current state. HTTP 422 `RULE_VIOLATED`, with `rule` naming what was
 * violated (for example `INVALID_TRANSITION`, `REVIEW_REQUIRED`).
 */
export class RuleViolationError extends Error {
  override readonly name = 'RuleViolationError'
  constructor(
    readonly rule: string,
    message: string,
    /** Optional field the rule is about, reported like a validation field. */
    readonly field?: string,
  ) {
    super(message)
  }
}

/** The actor's role does not allow the command. HTTP 403 `FORBIDDEN`. */
export class ForbiddenError extends Error {
  override readonly name = 'ForbiddenError'
}

/**
 * The thing does not exist — or exists but the actor may not know it does (a resident asking about another
 * resident's case gets the same answer as for a case that was never reported). HTTP 404 `NOT_FOUND`.
 */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError'
}
