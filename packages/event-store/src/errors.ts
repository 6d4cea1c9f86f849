import type { ExpectedRevision } from './types.js'

/** The stream was not where the writer expected it (optimistic concurrency). HTTP 409. */
export class WrongExpectedRevisionError extends Error {
  override readonly name = 'WrongExpectedRevisionError'
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** The stream's last revision, or 'no_stream'. */
    readonly actual: bigint | 'no_stream',
  ) {
    super(`stream ${streamId}: expected revision ${String(expected)}, actual ${String(actual)}`)
  }
}

/** An event id that is already stored somewhere other than the place this append would put it. */
export class DuplicateEventIdError extends Error {
  override readonly name = 'DuplicateEventIdError'
  constructor(readonly eventId: string, readonly streamId: string) {
    super(`event ${eventId} is already stored elsewhere (append to ${streamId})`)
  }
}

/** The store cannot be reached or answered with an infrastructure failure. HTTP 503. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}
