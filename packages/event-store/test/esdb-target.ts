import { randomUUID } from 'node:crypto'
import { startStandin } from '../../../test/esdb-standin/standin.js'
import type { Standin, StandinOptions } from '../../../test/esdb-standin/standin.js'
import type { EventMetadata, JsonObject, NewEvent } from '../src/types.js'

/**
 * Where the EventStoreDB tests run: the real server named by `EVENTSTORE_URL` when it is set, otherwise a fresh
 * gRPC stand-in (test/esdb-standin) on a free port, stopped when the test ends. Tests that need the stand-in's
 * knobs (stop/start, legacy behaviour) get `standin: null` against a real server and skip.
 */
export const REAL_SERVER_URL = process.env.EVENTSTORE_URL || undefined

/** tap's `skip` option for tests that need the stand-in's knobs: the reason against a real server, else false. */
export function standinOnly(why: string): string | false {
  return REAL_SERVER_URL ? `needs the gRPC stand-in ${why}; EVENTSTORE_URL points at a real server` : false
}

export interface EsdbTarget {
  url: string
  standin: Standin | null
}

interface Teardown {
  teardown(fn: () => unknown): void
}

export async function esdbTarget(t: Teardown, options: StandinOptions = {}): Promise<EsdbTarget> {
  if (REAL_SERVER_URL) return { url: REAL_SERVER_URL, standin: null }
  const standin = await startStandin(options)
  t.teardown(() => standin.close())
  return { url: standin.url, standin }
}

/** A stream id nobody else uses, so the tests can share a real server. */
export function uniqueStream(prefix = 'case'): string {
  return `${prefix}-${randomUUID()}`
}

export function newEvent(type: string, data: JsonObject = {}, schemaVersion = 1): NewEvent {
  const metadata: EventMetadata = {
    actor: { id: 'user-1', roles: ['staff'] },
    occurredAt: '2025-01-01T00:00:00.000Z',
    correlationId: randomUUID(),
    causationId: null,
    prevHash: '00'.repeat(32),
    hash: 'ab'.repeat(32),
  }
  return { eventId: randomUUID(), type, schemaVersion, data, metadata }
}

/** Polls until `check` holds or `ms` pass; returns whether it held. */
export async function eventually(check: () => boolean, ms = 5_000): Promise<boolean> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    if (check()) return true
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return check()
}

/**
 * Polls `ping` until the store answers (at most `ms`). After the server comes back the client may still be in its
 * reconnect backoff, and its first call fail fast with UNAVAILABLE; a test that means "once it is back" waits for
 * this condition, not for the server process alone.
 */
export async function untilAnswers(store: { ping(): Promise<void> }, ms = 10_000): Promise<boolean> {
  const until = Date.now() + ms
  for (;;) {
    try {
      await store.ping()
      return true
    } catch (error) {
      if (Date.now() >= until) throw error
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = []
  for await (const item of iterable) items.push(item)
  return items
}
