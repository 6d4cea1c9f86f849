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

/**
 * A restore (`restoreInTransaction`, `cli import`) was pointed at a store that already holds events: restoring on
 * top of them would interleave two histories, so it is refused before anything is written.
 */
export class StoreNotEmptyError extends Error {
  override readonly name = 'StoreNotEmptyError'
  /** `holding` says what was found, e.g. "it holds 12 streams". */
  constructor(readonly holding: string) {
    super(`the event store is not empty (${holding}); a restore needs an empty one`)
  }
}
