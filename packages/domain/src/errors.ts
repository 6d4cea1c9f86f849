// The domain throws the shared vocabulary of `@pc/contracts` (RULE_VIOLATED, FORBIDDEN, NOT_FOUND); re-exported
// so a decider's imports stay within its own package.
export { ForbiddenError, NotFoundError, RuleViolationError } from '@pc/contracts'
