import { randomUUID } from 'node:crypto'
import type { Test } from 'tap'
import { DuplicateEventIdError, WrongExpectedRevisionError } from '@pc/event-store'
import {
  checkpointFromString,
  checkpointToString,
  compareCheckpoints,
  type AppendOptions,
  type AppendResult,
  type DeliveredEvent,
  type EventFilter,
  type EventMetadata,
  type EventStore,
  type JsonObject,
  type NewEvent,
  type Subscription,
} from '@pc/event-store'

/**
 * The event store contract (DESIGN §3): the same cases against every adapter, so PostgreSQL, the in-memory store
 * and EventStoreDB cannot drift apart. Adapter-specific abilities the suite needs to set a scene (moving the
 * global position past 2^53, holding a transaction open) come in as capabilities; without them the cases that
 * need them still run what they can and say what they skipped.
 *
 * Every case works under its own random stream and event-type prefixes and filters on them, so a factory may hand
 * out stores that share one database (or one server with system events in it).
 *
 * @example
 * await runEventStoreContract(t, 'postgres', async () => {
 *   const store = await createPostgresEventStore({ connectionString: db.url })
 *   return { store, cleanup: () => store.close(), capabilities: { setGlobalPosition, holdTransactionOpen } }
 * })
 */
export interface ContractFixture {
  store: EventStore
  cleanup(): Promise<void>
  capabilities?: ContractCapabilities
}

export interface ContractCapabilities {
  /** Make the next event's global position land strictly above `position` (PostgreSQL: `setval`). */
  setGlobalPosition?: (position: bigint) => Promise<void>
  /**
   * Begin a transaction, append inside it, commit later. The gap-safety case uses it to make later positions commit
   * before earlier ones.
   */
  holdTransactionOpen?: () => Promise<HeldTransaction>
  /**
   * The store refuses an event id stored anywhere else (another stream, another revision, twice in one append).
   * Default true; EventStoreDB only deduplicates retried appends and sets it to false.
   */
  rejectsDuplicateEventIds?: boolean
}

export interface HeldTransaction {
  append(streamId: string, events: NewEvent[], options?: AppendOptions): Promise<AppendResult>
  commit(): Promise<void>
}

export type ContractFactory = () => Promise<ContractFixture>

// ---------------------------------------------------------------------------------------------------------------
// Helpers

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

function metadata(extra: Partial<EventMetadata> = {}): EventMetadata {
  return {
    actor: { id: 'user-1', roles: ['staff'] },
    occurredAt: '2025-01-02T03:04:05.000Z',
    correlationId: randomUUID(),
    causationId: null,
    prevHash: '0'.repeat(64),
    hash: 'f'.repeat(64),
    ...extra,
  }
}

function newEvent(type: string, data: JsonObject = {}, meta?: EventMetadata): NewEvent {
  return { eventId: randomUUID(), type, schemaVersion: 1, data, metadata: meta ?? metadata() }
}

function events(type: string, count: number): NewEvent[] {
  return Array.from({ length: count }, (_, i) => newEvent(type, { i }))
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of iterable) out.push(item)
  return out
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  return undefined
}

/** A fresh stream-name prefix and event-type prefix for one case. */
function scope(label: string): { prefix: string; type: string } {
  const id = randomUUID().replaceAll('-', '').slice(0, 12)
  return { prefix: `ct${id}-${label}-`, type: `Ct${id}.` }
}

interface Consumer {
  readonly events: DeliveredEvent[]
  /** Resolves once at least `count` events arrived; rejects on timeout or if the subscription failed. */
  until(count: number, timeoutMs?: number): Promise<void>
  /** Settles when the iteration ends. */
  readonly ended: Promise<void>
}

/** Drains a subscription in the background, the way a projector would. */
function consume(subscription: Subscription, onEvent?: (event: DeliveredEvent, index: number) => void): Consumer {
  const received: DeliveredEvent[] = []
  let failure: unknown
  let finished = false
  const waiters = new Set<() => void>()
  const notify = () => {
    for (const waiter of waiters) waiter()
  }
  const ended = (async () => {
    try {
      for await (const event of subscription) {
        received.push(event)
        onEvent?.(event, received.length - 1)
        notify()
      }
    } catch (error) {
      failure = error ?? new Error('subscription failed')
    } finally {
      finished = true
      notify()
    }
  })()
  return {
    events: received,
    ended,
    until(count, timeoutMs = 15_000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (received.length >= count) done(null)
          else if (failure !== undefined) done(failure)
          else if (finished) done(new Error(`subscription ended after ${received.length} of ${count} events`))
        }
        const timer = setTimeout(
          () => done(new Error(`timed out with ${received.length} of ${count} events`)),
          timeoutMs,
        )
        const done = (error: unknown) => {
          clearTimeout(timer)
          waiters.delete(check)
          if (error === null) resolve()
          else reject(error instanceof Error ? error : new Error(String(error)))
        }
        waiters.add(check)
        check()
      })
    },
  }
}

const ids = (list: readonly { eventId: string }[]) => list.map((e) => e.eventId)

/** Asserts each stream's revisions appear as 0, 1, 2, … in the order given. */
function assertRevisionOrder(t: Test, delivered: readonly DeliveredEvent[], message: string): void {
  const next = new Map<string, bigint>()
  let wrong = 0
  for (const event of delivered) {
    const expected = next.get(event.streamId) ?? 0n
    if (event.revision !== expected) wrong++
    next.set(event.streamId, event.revision + 1n)
  }
  t.equal(wrong, 0, message)
}

function assertIncreasingCheckpoints(t: Test, delivered: readonly DeliveredEvent[], message: string): void {
  let wrong = 0
  for (let i = 1; i < delivered.length; i++) {
    if (compareCheckpoints(delivered[i - 1]!.checkpoint, delivered[i]!.checkpoint) >= 0) wrong++
  }
  t.equal(wrong, 0, message)
}

// ---------------------------------------------------------------------------------------------------------------
// The suite

/** Runs the contract as one tap subtest named `event store contract: <name>`. */
export async function runEventStoreContract(t: Test, name: string, factory: ContractFactory): Promise<void> {
  await t.test(`event store contract: ${name}`, async (t) => {
    /** A fresh fixture for one case, cleaned up when the case ends. */
    async function fixture(t: Test): Promise<Required<Pick<ContractFixture, 'store'>> & { caps: ContractCapabilities }> {
      const made = await factory()
      t.teardown(() => made.cleanup())
      return { store: made.store, caps: made.capabilities ?? {} }
    }

    await t.test('expectedRevision no_stream: appends to a new stream only', async (t) => {
      const { store } = await fixture(t)
      const { prefix, type } = scope('nostream')
      const stream = `${prefix}1`
      const first = await store.append(stream, [newEvent(`${type}A`)], { expectedRevision: 'no_stream' })
      t.equal(first.nextExpectedRevision, 0n, 'first event of a stream is revision 0')
      t.equal(typeof first.position, 'bigint')

      const error = await caught(store.append(stream, [newEvent(`${type}B`)], { expectedRevision: 'no_stream' }))
      t.type(error, WrongExpectedRevisionError)
      t.match(error, { streamId: stream, expected: 'no_stream', actual: 0n })
      t.equal((await collect(store.readStream(stream))).length, 1, 'the refused append wrote nothing')
    })

    await t.test('expectedRevision stream_exists: refuses a missing stream', async (t) => {
      const { store } = await fixture(t)
      const { prefix, type } = scope('exists')
      const stream = `${prefix}1`
      const error = await caught(store.append(stream, [newEvent(`${type}A`)], { expectedRevision: 'stream_exists' }))
      t.type(error, WrongExpectedRevisionError)
      t.match(error, { streamId: stream, expected: 'stream_exists', actual: 'no_stream' })
      t.same(await collect(store.readStream(stream)), [], 'nothing written')

      await store.append(stream, [newEvent(`${type}A`)], { expectedRevision: 'no_stream' })
      const second = await store.append(stream, [newEvent(`${type}B`)], { expectedRevision: 'stream_exists' })
      t.equal(second.nextExpectedRevision, 1n)
    })

    await t.test('expectedRevision exact: appends only on the stream last revision', async (t) => {
      const { store } = await fixture(t)
      const { prefix, type } = scope('exact')
      const stream = `${prefix}1`
      const missing = await caught(store.append(stream, [newEvent(`${type}A`)], { expectedRevision: 0n }))
      t.type(missing, WrongExpectedRevisionError)
      t.match(missing, { streamId: stream, expected: 0n, actual: 'no_stream' })

      await store.append(stream, events(`${type}A`, 2), { expectedRevision: 'no_stream' })
      const ok = await store.append(stream, [newEvent(`${type}B`)], { expectedRevision: 1n })
      t.equal(ok.nextExpectedRevision, 2n)

      for (const stale of [1n, 0n, 5n]) {
        const error = await caught(store.append(stream, [newEvent(`${type}C`)], { expectedRevision: stale }))
        t.type(error, WrongExpectedRevisionError, `expected ${stale} refused`)
        t.match(error, { streamId: stream, expected: stale, actual: 2n }, `expected ${stale}: actual is 2`)
      }
      t.equal((await collect(store.readStream(stream))).length, 3, 'refused appends wrote nothing')
    })

    await t.test('expectedRevision any (and the default): appends whatever the stream holds', async (t) => {
      const { store } = await fixture(t)
      const { prefix, type } = scope('any')
      const stream = `${prefix}1`
      t.equal((await store.append(stream, [newEvent(`${type}A`)], { expectedRevision: 'any' })).nextExpectedRevision, 0n)
      t.equal((await store.append(stream, [newEvent(`${type}A`)])).nextExpectedRevision, 1n, 'default is any')
      t.equal((await store.append(stream, [newEvent(`${type}A`)], {})).nextExpectedRevision, 2n)
    })

    await t.test('concurrent first appends to one stream: exactly one no_stream append wins', async (t) => {
      const { store, caps } = await fixture(t)
      const { prefix, type } = scope('race')
      const stream = `${prefix}1`
      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, () => store.append(stream, [newEvent(`${type}A`)], { expectedRevision: 'no_stream' })),
      )
      t.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1, 'one append wins')
      const losers = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []))
      t.ok(
        losers.every((e) => e instanceof WrongExpectedRevisionError && e.actual === 0n),
        'the others see revision 0',
      )
      t.equal((await collect(store.readStream(stream))).length, 1)

      if (caps.rejectsDuplicateEventIds ?? true) {
        const shared = newEvent(`${type}B`)
        const racing = await Promise.allSettled([store.append(`${prefix}2`, [shared]), store.append(`${prefix}3`, [shared])])
        t.equal(racing.filter((o) => o.status === 'fulfilled').length, 1, 'one id, two new streams at once: one wins')
        t.ok(
          racing.some((o) => o.status === 'rejected' && o.reason instanceof DuplicateEventIdError),
          'the other is a duplicate',
        )
      }
    })

    await t.test('a multi-event append is atomic and contiguous', async (t) => {
      const { store, caps } = await fixture(t)
      const { prefix, type } = scope('atomic')
      const stream = `${prefix}1`
      const batch = events(`${type}A`, 3)
      const result = await store.append(stream, batch, { expectedRevision: 'no_stream' })
      t.equal(result.nextExpectedRevision, 2n)
      const read = await collect(store.readStream(stream))
      t.same(ids(read), ids(batch), 'in the order given')
      t.same(
        read.map((e) => e.revision),
        [0n, 1n, 2n],
      )
      t.ok(read[0]!.position < read[1]!.position && read[1]!.position < read[2]!.position, 'positions increase')
      t.equal(read[2]!.position, result.position, 'the append answers the position of its last event')

      const stale = await caught(store.append(stream, events(`${type}B`, 3), { expectedRevision: 0n }))
      t.type(stale, WrongExpectedRevisionError)
      t.equal((await collect(store.readStream(stream))).length, 3, 'a refused batch writes none of its events')

      if (caps.rejectsDuplicateEventIds ?? true) {
        const other = `${prefix}2`
        const taken = newEvent(`${type}C`)
        await store.append(other, [taken])
        const fresh = events(`${type}B`, 2)
        const clash = await caught(store.append(stream, [...fresh, taken], { expectedRevision: 2n }))
        t.type(clash, DuplicateEventIdError, 'the third event reuses an id')
        t.equal((await collect(store.readStream(stream))).length, 3, 'none of the batch was written')
        const retried = await store.append(stream, fresh, { expectedRevision: 2n })
        t.equal(retried.nextExpectedRevision, 4n, 'the first two ids were never taken')

        const twice = newEvent(`${type}D`)
        const inBatch = await caught(store.append(`${prefix}3`, [twice, { ...twice }]))
        t.type(inBatch, DuplicateEventIdError, 'the same id twice in one append')
        t.same(await collect(store.readStream(`${prefix}3`)), [])
      }
    })

    await t.test('event ids: a retried append is idempotent, an id stored elsewhere is refused', async (t) => {
      const { store, caps } = await fixture(t)
      const { prefix, type } = scope('idem')
      const stream = `${prefix}1`
      const batch = events(`${type}A`, 2)
      const first = await store.append(stream, batch, { expectedRevision: 'no_stream' })
      t.strictSame(await store.append(stream, batch, { expectedRevision: 'no_stream' }), first, 'same answer')
      t.strictSame(await store.append(stream, batch, { expectedRevision: 'any' }), first, 'same answer under any')
      t.equal((await collect(store.readStream(stream))).length, 2, 'written once')

      const next = [newEvent(`${type}B`)]
      const second = await store.append(stream, next, { expectedRevision: 1n })
      t.strictSame(await store.append(stream, next, { expectedRevision: 1n }), second, 'a retried exact-revision append')
      t.equal((await collect(store.readStream(stream))).length, 3)

      if (caps.rejectsDuplicateEventIds ?? true) {
        const elsewhere = await caught(store.append(`${prefix}2`, [batch[0]!]))
        t.type(elsewhere, DuplicateEventIdError, 'an id from another stream')
        t.match(elsewhere, { eventId: batch[0]!.eventId, streamId: `${prefix}2` })
        t.same(await collect(store.readStream(`${prefix}2`)), [], 'nothing written to the other stream')

        const moved = await caught(store.append(stream, next, { expectedRevision: 2n }))
        t.type(moved, DuplicateEventIdError, 'an id of this stream at another revision')
        const mixed = await caught(store.append(stream, [batch[1]!, newEvent(`${type}C`)]))
        t.type(mixed, DuplicateEventIdError, 'a stored id with a new one')
        t.equal((await collect(store.readStream(stream))).length, 3, 'nothing written by the refused appends')
      }
    })

    await t.test('readStream: forwards, backwards, from a revision, with a max count; a missing stream is empty', async (t) => {
      const { store } = await fixture(t)
      const { prefix, type } = scope('read')
      const stream = `${prefix}1`
      // Several appends, and more events than an adapter's read batch, so paging is exercised.
      for (let i = 0; i < 5; i++) await store.append(stream, events(`${type}A`, 5))
      const revisions = async (options?: Parameters<EventStore['readStream']>[1]) =>
        (await collect(store.readStream(stream, options))).map((e) => e.revision)
      const range = (from: number, to: number) =>
        Array.from({ length: Math.abs(to - from) + 1 }, (_, i) => BigInt(from <= to ? from + i : from - i))

      t.same(await revisions(), range(0, 24), 'forwards from the start')
      t.same(await revisions({ from: 10n }), range(10, 24), 'forwards from a revision (inclusive)')
      t.same(await revisions({ from: 10n, maxCount: 5 }), range(10, 14), 'with a max count')
      t.same(await revisions({ from: 'start', maxCount: 0 }), [], 'max count 0')
      t.same(await revisions({ from: 30n }), [], 'from beyond the end')
      t.same(await revisions({ from: 'end' }), [], 'forwards from the end')
      t.same(await revisions({ direction: 'backwards' }), range(24, 0), 'backwards from the end')
      t.same(await revisions({ direction: 'backwards', from: 10n, maxCount: 3 }), range(10, 8), 'backwards from a revision')
      t.same(await revisions({ direction: 'backwards', from: 'end', maxCount: 2 }), range(24, 23))
      t.same(await revisions({ direction: 'backwards', from: 100n }), range(24, 0), 'backwards from beyond the end')
      t.same(await revisions({ direction: 'backwards', from: 'start' }), [0n], 'backwards from the start')

      const read = await collect(store.readStream(stream))
      t.ok(read.every((e) => e.streamId === stream && typeof e.position === 'bigint'))
      t.equal(read.filter((e, i) => i > 0 && e.position <= read[i - 1]!.position).length, 0, 'positions increase')
      t.ok(read.every((e) => !Number.isNaN(Date.parse(e.recordedAt))), 'recordedAt is a time')
      t.same(await collect(store.readStream(`${prefix}missing`)), [], 'missing stream forwards')
      t.same(await collect(store.readStream(`${prefix}missing`, { direction: 'backwards' })), [], 'and backwards')
    })

    await t.test('readAll: from a checkpoint, filtered by stream prefix or event-type prefix', async (t) => {
      const { store } = await fixture(t)
      const { prefix, type } = scope('all')
      await store.append(`${prefix}a-1`, [newEvent(`${type}Opened`), newEvent(`${type}Closed`)])
      await store.append(`${prefix}b-1`, [newEvent(`${type}Opened`)])
      await store.append(`${prefix}a-2`, [newEvent(`${type}Opened`), newEvent(`${type}Noted`)])
      await store.append(`${prefix}b-1`, [newEvent(`${type}Closed`)])
      const mine: EventFilter = { streamPrefix: [prefix] }

      const all = await collect(store.readAll({ filter: mine }))
      t.equal(all.length, 6)
      assertIncreasingCheckpoints(t, all, 'checkpoints increase in delivery order')
      assertRevisionOrder(t, all, 'each stream in revision order')
      t.ok(all.every((e) => e.checkpoint.position === e.position), 'a checkpoint carries its event position')

      const streams = (list: DeliveredEvent[]) => list.map((e) => e.streamId)
      t.same(streams(await collect(store.readAll({ filter: { streamPrefix: [`${prefix}a-`] } }))), [
        `${prefix}a-1`,
        `${prefix}a-1`,
        `${prefix}a-2`,
        `${prefix}a-2`,
      ])
      const union = await collect(store.readAll({ filter: { streamPrefix: [`${prefix}a-2`, `${prefix}b-`] } }))
      t.same(ids(union), ids(all.filter((e) => !e.streamId.endsWith('a-1'))), 'several prefixes: any matches')

      const opened = await collect(store.readAll({ filter: { eventTypePrefix: [`${type}Op`] } }))
      t.same(ids(opened), ids(all.filter((e) => e.type === `${type}Opened`)), 'event-type prefix')
      const two = await collect(store.readAll({ filter: { eventTypePrefix: [`${type}Op`, `${type}No`] } }))
      t.equal(two.length, 4, 'several type prefixes: any matches')

      t.same(ids(await collect(store.readAll({ filter: mine, after: all[1]!.checkpoint }))), ids(all.slice(2)), 'strictly after a checkpoint')
      t.same(ids(await collect(store.readAll({ filter: mine, after: all[5]!.checkpoint }))), [], 'after the last')
      t.same(ids(await collect(store.readAll({ filter: mine, maxCount: 2 }))), ids(all.slice(0, 2)), 'max count')
      t.same(
        ids(await collect(store.readAll({ filter: mine, after: all[0]!.checkpoint, maxCount: 3 }))),
        ids(all.slice(1, 4)),
      )
      const restored = checkpointFromString(checkpointToString(all[2]!.checkpoint))
      t.same(ids(await collect(store.readAll({ filter: mine, after: restored }))), ids(all.slice(3)), 'through a string')
    })

    await t.test('subscribeAll: catch-up then live, resumable from a checkpoint', async (t) => {
      const { store } = await fixture(t)
      const { prefix, type } = scope('sub')
      const filter: EventFilter = { streamPrefix: [prefix] }
      await store.append(`${prefix}1`, events(`${type}A`, 3))

      const live = consume(store.subscribeAll({ filter, batchSize: 2 }))
      await live.until(3)
      await store.append(`${prefix}2`, events(`${type}B`, 2))
      await store.append(`${prefix}1`, [newEvent(`${type}C`)])
      await live.until(6)
      const all = await collect(store.readAll({ filter }))
      t.same(ids(live.events), ids(all), 'catch-up and live events, in readAll order, once each')
      t.same(
        live.events.map((e) => checkpointToString(e.checkpoint)),
        all.map((e) => checkpointToString(e.checkpoint)),
        'with the same checkpoints',
      )
      assertRevisionOrder(t, live.events, 'each stream in revision order')
      await store.append(`${prefix}3`, [newEvent(`${type}D`)])
      await live.until(7)

      // A consumer that stopped after the second event resumes strictly after it.
      const resumed = consume(store.subscribeAll({ filter, after: live.events[1]!.checkpoint }))
      await resumed.until(5)
      const sentinel = newEvent(`${type}Sentinel`)
      await store.append(`${prefix}4`, [sentinel])
      await resumed.until(6)
      await live.until(8)
      t.same(ids(resumed.events), ids(live.events.slice(2)), 'resumed: the rest, then live, nothing twice')
      t.equal(resumed.events[resumed.events.length - 1]!.eventId, sentinel.eventId)
    })

    await t.test('subscribeAll: close() ends the iteration promptly', async (t) => {
      const { store } = await fixture(t)
      const { prefix, type } = scope('close')
      const filter: EventFilter = { streamPrefix: [prefix] }
      const idle = store.subscribeAll({ filter })
      const consumer = consume(idle)
      await sleep(50)
      const started = Date.now()
      await idle.close()
      await consumer.ended
      t.ok(Date.now() - started < 2_000, 'an idle live subscription ends on close')

      await store.append(`${prefix}1`, events(`${type}A`, 5))
      let seen = 0
      const busy = store.subscribeAll({ filter, batchSize: 2 })
      for await (const _event of busy) {
        seen++
        if (seen === 2) await busy.close()
      }
      t.equal(seen, 2, 'closing from inside the loop stops it after the current event')

      const never = store.subscribeAll({ filter })
      await never.close()
      t.pass('a subscription never iterated closes')
    })

    await t.test('concurrent appends: each stream is delivered in revision order', async (t) => {
      const { store } = await fixture(t)
      const { prefix, type } = scope('order')
      const filter: EventFilter = { streamPrefix: [prefix] }
      const live = consume(store.subscribeAll({ filter, batchSize: 5 }))
      await Promise.all(
        Array.from({ length: 24 }, (_, i) => store.append(`${prefix}${i % 3}`, events(`${type}A`, 1 + (i % 2)))),
      )
      await live.until(36)
      const all = await collect(store.readAll({ filter }))
      t.equal(all.length, 36)
      assertRevisionOrder(t, all, 'readAll: revision order per stream')
      assertRevisionOrder(t, live.events, 'subscribeAll: revision order per stream')
      for (let i = 0; i < 3; i++) {
        const stream = await collect(store.readStream(`${prefix}${i}`))
        t.same(
          stream.map((e) => e.revision),
          stream.map((_, r) => BigInt(r)),
          `stream ${i} has no holes`,
        )
      }
    })

    await t.test('bigint positions above 2^53 round-trip exactly', async (t) => {
      const { store, caps } = await fixture(t)
      const { prefix, type } = scope('big')
      const filter: EventFilter = { streamPrefix: [prefix] }
      const floor = 2n ** 53n + 10n
      if (caps.setGlobalPosition) await caps.setGlobalPosition(floor)
      else t.comment('skipped the 2^53 floor: adapter cannot set its global position; exactness is still checked')
      const live = consume(store.subscribeAll({ filter }))
      const result = await store.append(`${prefix}1`, events(`${type}A`, 3))
      const read = await collect(store.readStream(`${prefix}1`))
      const positions = read.map((e) => e.position)
      t.equal(positions[2], result.position, 'append result = stored position')
      if (caps.setGlobalPosition) {
        t.ok(positions.every((p) => p > floor), 'positions are above 2^53')
        // Above 2^53 a double holds only even integers, so an odd position proves no rounding happened anywhere.
        t.ok(
          positions.some((p) => p % 2n === 1n),
          'at least one position is not representable as a double',
        )
      }
      const all = await collect(store.readAll({ filter }))
      t.same(
        all.map((e) => e.position),
        positions,
        'readAll',
      )
      t.same(
        all.map((e) => e.checkpoint.position),
        positions,
        'readAll checkpoints',
      )
      await live.until(3)
      t.same(
        live.events.map((e) => e.position),
        positions,
        'subscribeAll',
      )
      const after = await collect(store.readAll({ filter, after: all[0]!.checkpoint }))
      t.same(
        after.map((e) => e.position),
        positions.slice(1),
        'readAll after a checkpoint above 2^53',
      )
      for (const event of all) {
        const checkpoint = await store.checkpointOf(event.position)
        t.strictSame(checkpoint, event.checkpoint, `checkpointOf(${event.position})`)
        t.strictSame(checkpointFromString(checkpointToString(event.checkpoint)), event.checkpoint, 'string form')
      }
      t.equal(await store.checkpointOf(result.position + 1_000_000n), null, 'checkpointOf a position with no event')
    })

    await t.test('data and metadata round-trip (unicode, nested JSON)', async (t) => {
      const { store } = await fixture(t)
      const { prefix, type } = scope('json')
      const data: JsonObject = {
        title: '电梯故障 3号楼 — lift stuck 🛗🏠',
        combining: 'e\u0301 ñ ü ß',
        rtl: 'مرحبا',
        separators: 'line\u2028para\u2029tab\t"quote" back\\slash',
        empty: '',
        emptyObject: {},
        emptyArray: [],
        numbers: { zero: 0, negative: -42, fraction: 3.25, big: 9007199254740991, exp: 1e21 },
        flags: [true, false, null],
        nested: { a: { b: { c: [1, { d: ['深', { e: null }] }] } } },
        long: 'x'.repeat(10_000),
      }
      const meta = metadata({
        actor: { id: 'resident-张三', roles: ['resident', 'committee'] },
        causationId: randomUUID(),
        idempotencyKey: 'key-幂等',
        note: { 中文: '备注', list: [1, 'two'] },
      })
      const event: NewEvent = { ...newEvent(`${type}Unicode`, data, meta), schemaVersion: 7 }
      const live = consume(store.subscribeAll({ filter: { streamPrefix: [prefix] } }))
      await store.append(`${prefix}流-1`, [event])
      const fromStream = (await collect(store.readStream(`${prefix}流-1`)))[0]!
      const fromAll = (await collect(store.readAll({ filter: { streamPrefix: [prefix] } })))[0]!
      await live.until(1)
      for (const [how, read] of [
        ['readStream', fromStream],
        ['readAll', fromAll],
        ['subscribeAll', live.events[0]!],
      ] as const) {
        t.strictSame(read.data, data, `${how}: data`)
        t.strictSame(read.metadata, meta, `${how}: metadata`)
        t.equal(read.type, `${type}Unicode`, `${how}: type`)
        t.equal(read.schemaVersion, 7, `${how}: schemaVersion`)
        t.equal(read.eventId, event.eventId, `${how}: eventId`)
        t.equal(read.streamId, `${prefix}流-1`, `${how}: streamId`)
      }
    })

    await t.test('checkpointOf: the delivered checkpoint of a stored position, null otherwise', async (t) => {
      const { store } = await fixture(t)
      const { prefix, type } = scope('cpof')
      await store.append(`${prefix}1`, events(`${type}A`, 2))
      await store.append(`${prefix}2`, events(`${type}A`, 1))
      const all = await collect(store.readAll({ filter: { streamPrefix: [prefix] } }))
      for (const event of all) t.strictSame(await store.checkpointOf(event.position), event.checkpoint)
      t.equal(await store.checkpointOf(all[2]!.position + 10_000_000n), null)
      await store.ping()
      t.pass('ping answers')
    })

    await t.test(gapSafetyName, (t) => gapSafety(t, fixture))
  })
}

// ---------------------------------------------------------------------------------------------------------------
// Gap safety

const gapSafetyName =
  'gap safety: 16 concurrent writers, some transactions held open; live and restarted subscribers see every event once, in order'

const WRITERS = 16
const APPENDS_PER_WRITER = 10
const STREAMS = 8
/** A restarted subscriber is started from the live subscriber's checkpoint after every this many events. */
const RESTART_EVERY = 16

async function gapSafety(
  t: Test,
  fixture: (t: Test) => Promise<{ store: EventStore; caps: ContractCapabilities }>,
): Promise<void> {
  const { store, caps } = await fixture(t)
  const { prefix, type } = scope('gap')
  const filter: EventFilter = { streamPrefix: [prefix] }
  if (!caps.holdTransactionOpen) t.comment('no holdTransactionOpen capability: writers run concurrently without held transactions')

  const restarted: Array<{ from: number; consumer: Consumer; subscription: Subscription }> = []
  const live = store.subscribeAll({ filter, batchSize: 16 })
  const liveConsumer = consume(live, (event, index) => {
    // Restart from checkpoints seen while writers are still running: that is when a reader that trusted
    // positions would jump over a transaction that has not committed yet.
    if (index % RESTART_EVERY === RESTART_EVERY - 1) {
      const subscription = store.subscribeAll({ filter, after: event.checkpoint, batchSize: 8 })
      restarted.push({ from: index, consumer: consume(subscription), subscription })
    }
  })

  const written: string[] = []
  /** Each append's last position, in the order the appends finished committing. */
  const commitOrder: bigint[] = []
  let held = 0

  async function writer(w: number): Promise<void> {
    for (let j = 0; j < APPENDS_PER_WRITER; j++) {
      const stream = `${prefix}${(w + j) % STREAMS}`
      const batch = events(`${type}W${w}`, j % 3 === 0 ? 2 : 1)
      let result: AppendResult
      if (caps.holdTransactionOpen && w % 3 === 0 && j % 2 === 0) {
        // Take positions now, commit after others have taken (and committed) later ones.
        const transaction = await caps.holdTransactionOpen()
        result = await transaction.append(stream, batch)
        held++
        await sleep(10 + ((w * 7 + j * 13) % 40))
        await transaction.commit()
      } else {
        result = await store.append(stream, batch)
        if (j % 4 === 1) await sleep(2)
      }
      written.push(...ids(batch))
      commitOrder.push(result.position)
    }
  }

  await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)))
  const total = written.length
  await liveConsumer.until(total, 30_000)
  await Promise.all(restarted.map((r) => r.consumer.until(total - r.from - 1, 30_000)))

  const delivered = liveConsumer.events
  t.equal(delivered.length, total, `live subscriber: all ${total} events`)
  t.equal(new Set(ids(delivered)).size, total, 'live subscriber: each exactly once')
  t.same([...ids(delivered)].sort(), [...written].sort(), 'live subscriber: exactly the events written')
  assertIncreasingCheckpoints(t, delivered, 'live subscriber: checkpoints strictly increase')
  assertRevisionOrder(t, delivered, 'live subscriber: each stream in revision order')

  if (caps.holdTransactionOpen) {
    let outOfOrder = 0
    let highest = -1n
    for (const position of commitOrder) {
      if (position < highest) outOfOrder++
      else highest = position
    }
    t.ok(held > 0 && outOfOrder > 0, `later positions committed first (${outOfOrder} events, ${held} held transactions)`)
  }

  t.ok(restarted.length >= total / RESTART_EVERY - 1, `${restarted.length} subscribers restarted during the run`)
  let wrongRestarts = 0
  for (const { from, consumer } of restarted) {
    const expected = ids(delivered.slice(from + 1))
    const got = ids(consumer.events.slice(0, expected.length))
    if (consumer.events.length !== expected.length || got.join() !== expected.join()) wrongRestarts++
  }
  t.equal(wrongRestarts, 0, 'every restarted subscriber saw exactly the rest of the log, in the same order')

  // And after the fact, a reader restarted from EVERY checkpoint the live subscriber stored. Reading on from
  // checkpoint i must give event i+1 next; by induction over all i that is the whole rest of the log. The full
  // rest is compared for a sample, to keep the case fast.
  let wrongNext = 0
  let wrongRest = 0
  for (let i = 0; i < delivered.length; i++) {
    const after = delivered[i]!.checkpoint
    const full = i % RESTART_EVERY === 0
    const read = await collect(store.readAll({ filter, after, ...(full ? {} : { maxCount: 2 }) }))
    const expected = delivered.slice(i + 1, full ? undefined : i + 3)
    if (ids(read).join() === ids(expected).join()) continue
    if (full) wrongRest++
    else wrongNext++
  }
  t.equal(wrongNext, 0, 'readAll from every checkpoint continues with exactly the next events')
  t.equal(wrongRest, 0, 'readAll from sampled checkpoints returns exactly the rest of the log')

  await Promise.all([live.close(), ...restarted.map((r) => r.subscription.close())])
  await Promise.all([liveConsumer.ended, ...restarted.map((r) => r.consumer.ended)])
}
