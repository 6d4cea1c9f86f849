import { randomUUID } from 'node:crypto'
import { verifyChain } from '@pc/ledger'
import t from 'tap'
import { NotFoundError, RuleViolationError } from '@pc/contracts'
import type { Decider } from '@pc/domain'
import { handleCommand } from '../src/command-handler.js'
import { WrongExpectedRevisionError } from '../src/errors.js'
import { handleCached, StreamQueue, StreamStateCache } from '../src/stream-cache.js'
import { createMemoryEventStore } from '../src/memory.js'
import type { EventStore, HandleOptions, RecordedEvent } from '../src/types.js'

// A counter that refuses to go below zero: small enough to see every path of the handler.
type Command = { type: 'add'; by: number } | { type: 'take'; by: number } | { type: 'touch' }
type Event = { type: 'Added'; by: number } | { type: 'Taken'; by: number }
const counter: Decider<Command, Event, number, null> = {
  initialState: 0,
  decide(command, state) {
    if (command.type === 'touch') return []
    if (command.type === 'take' && state < command.by) throw new RuleViolationError('NOT_ENOUGH', `only ${state} left`)
    return [command.type === 'add' ? { type: 'Added', by: command.by } : { type: 'Taken', by: command.by }]
  },
  evolve: (state, event) => (event.type === 'Added' ? state + event.by : state - event.by),
}

function options(): HandleOptions<number, null, Event> {
  return {
    codec: {
      toStored: (event) => ({ type: event.type, schemaVersion: 1, data: { by: event.by } }),
      fromStored: (event) => ({ type: event.type as Event['type'], by: event.data.by as number }),
    },
    context: () => null,
    metadata: { actor: { id: 'u', roles: [] }, occurredAt: '2026-01-01T00:00:00.000Z', correlationId: 'c', causationId: null },
    eventIds: () => randomUUID(),
  }
}

/** The store, counting the stream reads the handler makes. */
function countingStore() {
  const store = createMemoryEventStore()
  let reads = 0
  const counted: EventStore = {
    ...store,
    append: store.append.bind(store),
    readStream(streamId, readOptions) {
      reads++
      return store.readStream(streamId, readOptions)
    },
  }
  return { store: counted, raw: store, reads: () => reads }
}

async function eventsOf(store: EventStore, streamId: string): Promise<RecordedEvent[]> {
  const out = []
  for await (const event of store.readStream(streamId)) out.push(event)
  return out
}

t.test('handleCommand: read, fold, decide, append on the hash chain', async (t) => {
  const { store, reads } = countingStore()
  await handleCommand(store, counter, 'c-1', { type: 'add', by: 3 }, options())
  const result = await handleCommand(store, counter, 'c-1', { type: 'take', by: 2 }, options())
  t.equal(result.state, 1)
  t.equal(result.revision, 1n)
  t.equal(reads(), 2, 'every command reads the stream')
  t.ok(verifyChain(await eventsOf(store, 'c-1')).ok, 'prevHash links every event to the one before')
  await t.rejects(handleCommand(store, counter, 'c-1', { type: 'take', by: 5 }, options()), RuleViolationError)
})

t.test('a stale If-Match is 409, unless the caller may not act on the stream: access is answered first', async (t) => {
  const store = createMemoryEventStore()
  // Only actor "owner" may act on the stream; the decider says so with NotFoundError, as for a resident's case.
  const guarded: Decider<Command & { actor?: string }, Event, number, null> = {
    ...counter,
    decide(command, state, context) {
      if (command.actor !== 'owner') throw new NotFoundError('no such counter')
      return counter.decide(command, state, context)
    },
  }
  await handleCommand(store, guarded, 'c-1', { type: 'add', by: 1, actor: 'owner' }, options())
  await handleCommand(store, guarded, 'c-1', { type: 'add', by: 1, actor: 'owner' }, options())
  for (const probe of [0n, 1n, 7n]) {
    await t.rejects(
      handleCommand(store, guarded, 'c-1', { type: 'add', by: 1, actor: 'stranger' }, { ...options(), expectedRevision: probe }),
      NotFoundError,
      `a stranger probing revision ${probe} learns nothing: 404 whether or not it is the stream's revision`,
    )
  }
  await t.rejects(
    handleCommand(store, guarded, 'c-1', { type: 'take', by: 5, actor: 'owner' }, { ...options(), expectedRevision: 0n }),
    WrongExpectedRevisionError,
    'the owner with a stale revision: 409, before the rules are asked (NOT_ENOUGH would be the current answer)',
  )
})

t.test('handleCached: a stream this process folded costs no read, and the chain still links', async (t) => {
  const { store, reads } = countingStore()
  const cache = new StreamStateCache<number>()
  await handleCached(cache, store, counter, 'c-1', { type: 'add', by: 3 }, options())
  t.equal(reads(), 1, 'the first command reads (the stream may exist)')
  for (let i = 0; i < 5; i++) await handleCached(cache, store, counter, 'c-1', { type: 'add', by: 1 }, options())
  t.equal(reads(), 1, 'the next five decide on the cached state')
  t.equal(cache.get('c-1')?.state, 8)
  t.equal(cache.get('c-1')?.revision, 5n)
  t.ok(verifyChain(await eventsOf(store, 'c-1')).ok)
})

t.test('handleCached: another writer behind the cache is found by the append and decided on afresh', async (t) => {
  const { store, raw, reads } = countingStore()
  const cache = new StreamStateCache<number>()
  await handleCached(cache, store, counter, 'c-1', { type: 'add', by: 1 }, options())
  // Another process takes the 1 and adds 5: our cache still says 1 at revision 0.
  await handleCommand(raw, counter, 'c-1', { type: 'take', by: 1 }, options())
  await handleCommand(raw, counter, 'c-1', { type: 'add', by: 5 }, options())
  const before = reads()
  const result = await handleCached(cache, store, counter, 'c-1', { type: 'take', by: 4 }, options())
  t.equal(result.state, 1, 'decided on the real state (5), not the cached one (1)')
  t.equal(result.revision, 3n)
  t.equal(reads(), before + 1, 'one fresh read after the refused append')
  t.ok(verifyChain(await eventsOf(store, 'c-1')).ok, 'the chain continues from the other writer’s last event')

  // A refusal on the stale cached state is not the answer either.
  await handleCommand(raw, counter, 'c-1', { type: 'add', by: 10 }, options())
  const taken = await handleCached(cache, store, counter, 'c-1', { type: 'take', by: 11 }, options())
  t.equal(taken.state, 0, 'the cache said 1 and would have refused; the stream had 11')
})

t.test('handleCached: an If-Match the cache has not seen goes to the stream and is checked there', async (t) => {
  const { store, raw } = countingStore()
  const cache = new StreamStateCache<number>()
  await handleCached(cache, store, counter, 'c-1', { type: 'add', by: 1 }, options())
  await handleCommand(raw, counter, 'c-1', { type: 'add', by: 1 }, options())
  const pinned = await handleCached(cache, store, counter, 'c-1', { type: 'add', by: 1 }, { ...options(), expectedRevision: 1n })
  t.equal(pinned.revision, 2n)
  await t.rejects(
    handleCached(cache, store, counter, 'c-1', { type: 'add', by: 1 }, { ...options(), expectedRevision: 1n }),
    WrongExpectedRevisionError,
    'a stale If-Match is refused, cached or not',
  )
})

t.test('handleCached: a made-up stream id is appended without a read; one that exists after all is read', async (t) => {
  const { store, reads } = countingStore()
  const cache = new StreamStateCache<number>()
  let contexts = 0
  const fresh = { ...options(), assumeNew: true, context: () => {
    contexts++
    return null
  } }
  await handleCached(cache, store, counter, 'new-1', { type: 'add', by: 2 }, fresh)
  t.equal(reads(), 0)
  cache.forget('new-1')
  contexts = 0
  const again = await handleCached(cache, store, counter, 'new-1', { type: 'add', by: 2 }, fresh)
  t.equal(again.state, 4, 'the store refused no_stream; the fresh read found the first event')
  t.equal(contexts, 2, 'the dropped decision and the fresh one each asked for their context')
})

t.test('a command that decides nothing answers the stream as it is, cached or not', async (t) => {
  const { store } = countingStore()
  const cache = new StreamStateCache<number>()
  await handleCached(cache, store, counter, 'c-1', { type: 'add', by: 2 }, options())
  const result = await handleCached(cache, store, counter, 'c-1', { type: 'touch' }, options())
  t.same({ revision: result.revision, appended: result.appended, state: result.state }, { revision: 0n, appended: 0, state: 2 })
  const none = await handleCommand(store, counter, 'none', { type: 'touch' }, options())
  t.equal(none.revision, -1n)
})

t.test('StreamStateCache is a bounded LRU that keeps the later revision', async (t) => {
  const cache = new StreamStateCache<number>(2)
  const head = (revision: bigint) => ({ revision, position: revision, lastHash: '0'.repeat(64), state: Number(revision) })
  cache.remember('a', head(1n))
  cache.remember('b', head(1n))
  cache.get('a')
  cache.remember('c', head(1n))
  t.equal(cache.get('b'), undefined, 'the least recently used entry went')
  cache.remember('a', head(0n))
  t.equal(cache.get('a')?.revision, 1n, 'an older revision does not replace a newer one')
  cache.remember('d', { ...head(0n), revision: null })
  t.equal(cache.get('d'), undefined, 'a stream that does not exist is not kept')
})

t.test('handleCommand: a concurrent write is decided on again, a bounded number of times', async (t) => {
  const store = createMemoryEventStore()
  await handleCommand(store, counter, 'c-1', { type: 'add', by: 1 }, options())
  // Every read is followed by another writer's append before ours lands: the handler sees a conflict each time.
  let interfere = 3
  const racing: EventStore = {
    ...store,
    append: store.append.bind(store),
    async *readStream(streamId, readOptions) {
      yield* store.readStream(streamId, readOptions)
      if (interfere-- > 0) await handleCommand(store, counter, streamId, { type: 'add', by: 10 }, options())
    },
  }
  const result = await handleCommand(racing, counter, 'c-1', { type: 'add', by: 1 }, options())
  t.equal(result.state, 32, 'the fourth attempt decided on 1 + 3 × 10')
  t.equal(result.revision, 4n)
  interfere = 10
  await t.rejects(
    handleCommand(racing, counter, 'c-1', { type: 'add', by: 1 }, { ...options(), maxAttempts: 2 }),
    WrongExpectedRevisionError,
    'after maxAttempts the conflict is the answer',
  )
})

t.test('handleCached: a store failure on the cached path is not retried, and the entry is dropped', async (t) => {
  const store = createMemoryEventStore()
  const cache = new StreamStateCache<number>()
  await handleCached(cache, store, counter, 'c-1', { type: 'add', by: 1 }, options())
  t.ok(cache.get('c-1'))
  const failing: EventStore = { ...store, readStream: store.readStream.bind(store), append: async () => Promise.reject(new Error('connection lost')) }
  await t.rejects(handleCached(cache, failing, counter, 'c-1', { type: 'add', by: 1 }, options()), { message: 'connection lost' })
  t.equal(cache.get('c-1'), undefined, 'an append that may have committed unseen leaves nothing cached')
})

t.test('StreamQueue runs one stream\'s work in order and other streams beside it', async (t) => {
  const queue = new StreamQueue()
  const order: string[] = []
  let release!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  const first = queue.run('a', async () => {
    await gate
    order.push('a1')
  })
  const second = queue.run('a', async () => {
    order.push('a2')
  })
  await queue.run('b', async () => {
    order.push('b1')
  })
  release()
  await Promise.all([first, second])
  t.same(order, ['b1', 'a1', 'a2'])
  const failed = queue.run('a', async () => Promise.reject(new Error('boom')))
  await t.rejects(failed, { message: 'boom' })
  t.equal(await queue.run('a', async () => 'after'), 'after', 'a failure does not block the stream')
})
