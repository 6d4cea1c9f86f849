import { DuplicateEventIdError, StoreUnavailableError, WrongExpectedRevisionError } from '../errors.js'
import type { ExpectedRevision } from '../types.js'

/** SQLSTATEs raised by `event_store_append` and the immutability triggers (see migrations.ts). */
export const SQLSTATE = {
  wrongExpectedRevision: 'ESWER',
  duplicateEventId: 'ESDUP',
  immutable: 'ESIMM',
  serializationFailure: '40001',
  uniqueViolation: '23505',
} as const

interface PgErrorFields {
  code?: string
  detail?: string
  constraint?: string
  message?: string
}

function fields(error: unknown): PgErrorFields {
  return typeof error === 'object' && error !== null ? (error as PgErrorFields) : {}
}

/**
 * Errors an append raises on purpose (a stale expected revision, an event id stored elsewhere, a serialisation
 * failure to retry): the statement failed, the connection is fine and idle again.
 */
const APPEND_OUTCOMES: ReadonlySet<string | undefined> = new Set([
  SQLSTATE.wrongExpectedRevision,
  SQLSTATE.duplicateEventId,
  SQLSTATE.serializationFailure,
  SQLSTATE.uniqueViolation,
])

/** Whether a connection that raised `error` may go back to the pool (anything else: close it). */
export function connectionSurvives(error: unknown): boolean {
  return APPEND_OUTCOMES.has(fields(error).code)
}

/** Socket-level codes and PostgreSQL's connection-exception (08), shutdown (57P0x) and too-many-connections codes. */
const UNAVAILABLE_CODES: ReadonlySet<string | undefined> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  // The limits a runtime sets on its sessions: statement_timeout (query_canceled), idle_in_transaction_session_timeout.
  '57014',
  '25P03',
])

/** pg reports a lost or refused connection as plain Errors with these messages. */
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end|Client was closed and is not queryable|connection timeout|Query read timeout/i

export function isUnavailable(error: unknown): boolean {
  const { code, message } = fields(error)
  if (code !== undefined && (code.startsWith('08') || UNAVAILABLE_CODES.has(code))) return true
  return message !== undefined && UNAVAILABLE_MESSAGES.test(message)
}

export function isSerializationFailure(error: unknown): boolean {
  return fields(error).code === SQLSTATE.serializationFailure
}

/** Turns infrastructure failures into `StoreUnavailableError`; everything else passes through unchanged. */
export function mapStoreError(error: unknown): unknown {
  if (error instanceof StoreUnavailableError || !isUnavailable(error)) return error
  return new StoreUnavailableError(`PostgreSQL event store unavailable: ${fields(error).message ?? String(error)}`, {
    cause: error,
  })
}

/** Maps what `event_store_append` raises to the port's errors. */
export function mapAppendError(error: unknown, streamId: string, expected: ExpectedRevision): unknown {
  const { code, detail, constraint } = fields(error)
  if (code === SQLSTATE.wrongExpectedRevision && detail !== undefined) {
    return new WrongExpectedRevisionError(streamId, expected, detail === 'no_stream' ? 'no_stream' : BigInt(detail))
  }
  if (code === SQLSTATE.duplicateEventId && detail !== undefined) return new DuplicateEventIdError(detail, streamId)
  // Two appends racing with the same new id to different streams: the unique index, not the function, catches it.
  if (code === SQLSTATE.uniqueViolation && constraint === 'events_event_id_key') {
    const id = /\(event_id\)=\(([^)]+)\)/.exec(detail ?? '')?.[1] ?? 'unknown'
    return new DuplicateEventIdError(id, streamId)
  }
  return mapStoreError(error)
}
