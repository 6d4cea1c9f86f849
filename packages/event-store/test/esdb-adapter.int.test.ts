import { createServer } from 'node:net'
import { EventStoreDBClient, binaryEvent, jsonEvent } from '@eventstore/db-client'
import t from 'tap'
import { StoreUnavailableError, WrongExpectedRevisionError } from '../src/errors.js'
import { createEsdbEventStore } from '../src/esdb/esdb.adapter.js'
import { SCHEMA_VERSION_KEY } from '../src/esdb/esdb.codec.js'
import type { DeliveredEvent } from '../src/types.js'
import { collect, esdbTarget, eventually, newEvent, standinOnly, uniqueStream } from './esdb-target.js'

// What is particular to EventStoreDB behind the port: the envelope mapping, the client's error and bigint
// traps, system events, old servers. The shared contract suite (esdb.int.test.ts) covers the port itself.

t.test('an event round-trips with its envelope; schemaVersion travels in metadata and is stripped on read', async (t) => {
  const { url } = await esdbTarget(t)
  const store = createEsdbEventStore({ connectionString: url })
  t.teardown(() => store.close())
  const stream = uniqueStream()
  const first = newEvent('CaseReported', { title: '电梯故障', floors: [1, 2] }, 3)
  const second = newEvent('CaseAcknowledged', { by: 'staff-1' })

  const result = await store.append(stream, [first, second], { expectedRevision: 'no_stream' })
  const read = await collect(store.readStream(stream))

  t.equal(result.nextExpectedRevision, 1n)
  t.same(
    read.map((e) => [e.eventId, e.type, e.revision, e.schemaVersion, e.data, e.metadata]),
    [
      [first.eventId, 'CaseReported', 0n, 3, first.data, first.metadata],
      [second.eventId, 'CaseAcknowledged', 1n, 1, second.data, second.metadata],
    ],
  )
  t.equal(typeof read[0]!.position, 'bigint')
  t.equal(read[1]!.position, result.position, 'the append answers the position of its last event')
  t.ok(read[0]!.position < read[1]!.position)
  t.match(read[0]!.recordedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)

  // Where it is kept: in EventStoreDB's own metadata field, under the reserved key.
  const raw = EventStoreDBClient.connectionString(url)
  t.teardown(() => raw.dispose())
  for await (const resolved of raw.readStream(stream, { maxCount: 1 })) {
    t.match(resolved.event?.metadata, { [SCHEMA_VERSION_KEY]: 3, hash: first.metadata.hash })
  }
})

t.test('a mismatched expected revision becomes WrongExpectedRevisionError with the actual revision', async (t) => {
  for (const serverFeatures of [true, false]) {
    // With server features the client appends through BatchAppend, without them through Append: the error
    // comes back in two different shapes and both must map the same.
    const path = serverFeatures ? 'BatchAppend' : 'Append'
    const { url, standin } = await esdbTarget(t, { serverFeatures })
    if (!standin && !serverFeatures) continue // a real server chooses its own path
    const store = createEsdbEventStore({ connectionString: url })
    t.teardown(() => store.close())
    const stream = uniqueStream()
    const missing = uniqueStream()
    await store.append(stream, [newEvent('A'), newEvent('B')])

    const cases = [
      { streamId: stream, expected: 'no_stream' as const, actual: 1n },
      { streamId: stream, expected: 5n, actual: 1n },
      { streamId: stream, expected: 0n, actual: 1n },
      { streamId: missing, expected: 'stream_exists' as const, actual: 'no_stream' as const },
      { streamId: missing, expected: 0n, actual: 'no_stream' as const },
    ]
    for (const { streamId, expected, actual } of cases) {
      const error = await store.append(streamId, [newEvent('C')], { expectedRevision: expected }).catch((e: unknown) => e)
      t.type(error, WrongExpectedRevisionError, `${path}: expected ${String(expected)}`)
      t.match(error, { streamId, expected, actual }, `${path}: expected ${String(expected)} → actual ${String(actual)}`)
    }
    t.equal((await collect(store.readStream(stream))).length, 2, `${path}: nothing was written by the failed appends`)
    t.equal((await collect(store.readStream(missing))).length, 0)
  }
})

t.test('a stream that was never written reads as empty, forwards and backwards', async (t) => {
  const { url } = await esdbTarget(t)
  const store = createEsdbEventStore({ connectionString: url })
  t.teardown(() => store.close())
  t.same(await collect(store.readStream(uniqueStream())), [])
  t.same(await collect(store.readStream(uniqueStream(), { direction: 'backwards' })), [])
})

t.test('re-sending the same append is idempotent, as EventStoreDB makes it', async (t) => {
  const { url } = await esdbTarget(t)
  const store = createEsdbEventStore({ connectionString: url })
  t.teardown(() => store.close())
  const stream = uniqueStream()
  const events = [newEvent('A'), newEvent('B')]
  const first = await store.append(stream, events, { expectedRevision: 'no_stream' })
  const again = await store.append(stream, events, { expectedRevision: 'no_stream' })
  t.same(again, first)
  t.equal((await collect(store.readStream(stream))).length, 2)
})

t.test('$all reads and subscriptions leave out system events, even inside a user stream', async (t) => {
  const { url, standin } = await esdbTarget(t)
  const store = createEsdbEventStore({ connectionString: url })
  t.teardown(() => store.close())
  const raw = EventStoreDBClient.connectionString(url)
  t.teardown(() => raw.dispose())
  const stream = uniqueStream()
  const { position: before } = await store.append(stream, [newEvent('Marker')])
  // A `$`-typed event in a user stream: EventStoreDB's own kind of event (link events look like this).
  await raw.appendToStream(stream, jsonEvent({ type: '$metadata-like', data: {} }))
  await store.append(stream, [newEvent('CaseReported')])

  const read = await collect(store.readAll({ after: { txId: 0n, position: before } }))
  t.same(
    read.filter((e) => e.streamId === stream).map((e) => e.type),
    ['CaseReported'],
  )
  t.notOk(read.some((e) => e.type.startsWith('$') || e.streamId.startsWith('$')), 'no system event read')

  if (standin) {
    // The stand-in's log starts with system records; a read from the very start must skip them.
    const all = await collect(store.readAll())
    t.notOk(all.some((e) => e.type.startsWith('$') || e.streamId.startsWith('$')), 'none from the start either')
  }

  const subscription = store.subscribeAll({ after: { txId: 0n, position: before }, filter: { streamPrefix: [stream] } })
  const seen: DeliveredEvent[] = []
  const consumer = (async () => {
    for await (const event of subscription) seen.push(event)
  })()
  t.ok(await eventually(() => seen.length === 1), 'the subscription delivered the user event')
  await subscription.close()
  await consumer
  t.same(seen.map((e) => [e.type, e.checkpoint.txId]), [['CaseReported', 0n]])
})

t.test('an event this adapter did not write fails the read and ends the subscription, instead of looping', async (t) => {
  const { url } = await esdbTarget(t)
  const store = createEsdbEventStore({ connectionString: url, resubscribe: { initialDelayMs: 10, maxDelayMs: 20 } })
  t.teardown(() => store.close())
  const raw = EventStoreDBClient.connectionString(url)
  t.teardown(() => raw.dispose())
  const stream = uniqueStream()
  await store.append(stream, [newEvent('Ours')])
  await raw.appendToStream(stream, binaryEvent({ type: 'Foreign', data: new Uint8Array([1, 2, 3]) }))

  await t.rejects(collect(store.readStream(stream)), TypeError, 'readStream')
  const seen: string[] = []
  const subscription = store.subscribeAll({ filter: { streamPrefix: [stream] } })
  const outcome = await (async () => {
    for await (const event of subscription) seen.push(event.type)
  })().then(
    () => 'ended',
    (error: unknown) => error,
  )
  t.type(outcome, TypeError, 'the subscription fails with the mapping error')
  t.same(seen, ['Ours'], 'after delivering what came before it')
})

t.test('positions beyond 2^53 stay exact bigints everywhere', { skip: standinOnly('to place positions beyond 2^53') }, async (t) => {
  const base = 2n ** 53n + 1n
  const { url, standin } = await esdbTarget(t, { firstPosition: base })
  if (!standin) throw new Error('unreachable: skipped against a real server')
  const store = createEsdbEventStore({ connectionString: url })
  t.teardown(() => store.close())
  const stream = uniqueStream()
  const { position } = await store.append(stream, [newEvent('A'), newEvent('B')])
  const expected = standin.log.stream(stream)!.map((r) => r.position)

  t.equal(position, expected[1])
  t.ok(position > BigInt(Number.MAX_SAFE_INTEGER))
  t.same((await collect(store.readStream(stream))).map((e) => e.position), expected)
  t.same((await collect(store.readAll({ filter: { streamPrefix: [stream] } }))).map((e) => e.checkpoint.position), expected)
  t.same(await store.checkpointOf(expected[0]!), { txId: 0n, position: expected[0] })

  const subscription = store.subscribeAll({ filter: { streamPrefix: [stream] } })
  const positions: bigint[] = []
  for await (const event of subscription) {
    positions.push(event.position)
    if (positions.length === 2) break
  }
  t.same(positions, expected)
})

t.test('checkpointOf answers only for positions of our events', async (t) => {
  const { url, standin } = await esdbTarget(t)
  const store = createEsdbEventStore({ connectionString: url })
  t.teardown(() => store.close())
  const { position } = await store.append(uniqueStream(), [newEvent('A')])
  t.same(await store.checkpointOf(position), { txId: 0n, position })
  t.equal(await store.checkpointOf(position + 1n), null, 'positions are log offsets: the next byte is no event')
  t.equal(await store.checkpointOf(-1n), null)
  if (standin) t.equal(await store.checkpointOf(standin.log.records[0]!.position), null, 'a system event is not ours')
})

t.test('an old server without $all positions on stream reads is refused loudly', { skip: standinOnly('to play an old server') }, async (t) => {
  const { url, standin } = await esdbTarget(t, { streamReadPositions: false })
  if (!standin) throw new Error('unreachable: skipped against a real server')
  const store = createEsdbEventStore({ connectionString: url })
  t.teardown(() => store.close())
  const stream = uniqueStream()
  await store.append(stream, [newEvent('A')])
  await t.rejects(collect(store.readStream(stream)), /22\.10/)
})

t.test('an unreachable server answers StoreUnavailableError within the deadline, not after 30 s', async (t) => {
  const port = await freePort()
  const store = createEsdbEventStore({ connectionString: `esdb://127.0.0.1:${port}?tls=false`, operationTimeoutMs: 2_000 })
  t.teardown(() => store.close())
  for (const [name, call] of [
    ['append', () => store.append(uniqueStream(), [newEvent('A')])],
    ['readStream', () => collect(store.readStream(uniqueStream()))],
    ['readAll', () => collect(store.readAll({ maxCount: 1 }))],
    ['checkpointOf', () => store.checkpointOf(1n)],
    ['ping', () => store.ping()],
  ] as const) {
    const started = Date.now()
    const error = await (call() as Promise<unknown>).then(() => null, (e: unknown) => e)
    t.type(error, StoreUnavailableError, name)
    t.ok(Date.now() - started < 2_500, `${name} failed in ${Date.now() - started} ms`)
  }
})

t.test('a server that accepts connections but never answers hits the deadline', async (t) => {
  // A black hole: TCP accepts, HTTP/2 never starts. Without our own deadlines the client's reads would wait forever.
  const sockets = new Set<import('node:net').Socket>()
  const hole = createServer((socket) => sockets.add(socket))
  await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
    hole.close()
  })
  const { port } = hole.address() as { port: number }
  const store = createEsdbEventStore({ connectionString: `esdb://127.0.0.1:${port}?tls=false`, operationTimeoutMs: 300, pingTimeoutMs: 300 })
  t.teardown(() => store.close())
  for (const [name, call] of [
    ['append', () => store.append(uniqueStream(), [newEvent('A')])],
    ['readStream', () => collect(store.readStream(uniqueStream()))],
    ['ping', () => store.ping()],
  ] as const) {
    const started = Date.now()
    const error = await (call() as Promise<unknown>).then(() => null, (e: unknown) => e)
    t.type(error, StoreUnavailableError, name)
    t.ok(Date.now() - started < 1_000, `${name} gave up after ${Date.now() - started} ms`)
  }
})

t.test('reads that stop early leave no call open: close() returns at once', async (t) => {
  // The client pipes each gRPC call into the stream it hands out. A consumer that stops at the first event and
  // destroys that stream pauses the call with its end still buffered; the client then waits for it on dispose,
  // forever. ping and checkpointOf stop at the first event on every health check and every waitFor.
  const { url } = await esdbTarget(t)
  const store = createEsdbEventStore({ connectionString: url })
  const stream = uniqueStream()
  const { position } = await store.append(stream, [newEvent('A'), newEvent('B'), newEvent('C')])
  for (let i = 0; i < 40; i++) {
    await store.ping()
    await store.checkpointOf(position)
    for await (const event of store.readStream(stream)) {
      t.equal(event.revision, 0n)
      break
    }
    for await (const event of store.readAll({ filter: { streamPrefix: [stream] } })) {
      t.equal(event.position < position, true)
      break
    }
  }
  const closed = await Promise.race([
    store.close().then(() => 'closed'),
    new Promise((resolve) => setTimeout(resolve, 3_000, 'still waiting after 3 s')),
  ])
  t.equal(closed, 'closed')
})

t.test('after close the store refuses work', async (t) => {
  const { url } = await esdbTarget(t)
  const store = createEsdbEventStore({ connectionString: url })
  await store.ping()
  await store.close()
  await t.rejects(store.ping(), /closed/)
})

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}
