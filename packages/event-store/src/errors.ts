// Stores throw the shared vocabulary of `@pc/contracts`; re-exported so adapters import from their package.
export { StoreUnavailableError, WrongExpectedRevisionError } from '@pc/contracts'

/**
 * An event id that is already stored somewhere other than the place this append would put it. Never reaches a
 * client: the command route turns it into the earlier answer of the same Idempotency-Key.
 */
export class DuplicateEventIdError extends Error {
  override readonly name = 'DuplicateEventIdError'
  constructor(readonly eventId: string, readonly streamId: string) {
    super(`event ${eventId} is already stored elsewhere (append to ${streamId})`)
  }
}
