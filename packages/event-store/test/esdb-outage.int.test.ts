import t from 'tap'
import { StoreUnavailableError } from '../src/errors.js'
import { createEsdbEventStore } from '../src/esdb/esdb.adapter.js'
import type { DeliveredEvent } from '../src/types.js'
import { collect, esdbTarget, eventually, newEvent, standinOnly, uniqueStream, untilAnswers } from './esdb-target.js'

// An EventStoreDB outage in the middle of a run, played by stopping the stand-in (every connection dropped, as
// in a crash) and starting it again on the same port with its data. Commands must fail fast while it is down
// and work again without a restart; the $all subscription must resume by itself and deliver every event
// exactly once, in order.

t.test('outage: commands fail fast, the subscription resumes with nothing lost or repeated', { skip: standinOnly('to stop and start the server mid-test') }, async (t) => {
  const { url, standin } = await esdbTarget(t)
  if (!standin) throw new Error('unreachable: skipped against a real server')
  const warnings: string[] = []
  const store = createEsdbEventStore({
    connectionString: url,
    operationTimeoutMs: 2_000,
    resubscribe: { initialDelayMs: 20, maxDelayMs: 200 },
    logger: { warn: (_details, message) => warnings.push(message) },
  })
  t.teardown(() => store.close())
  const stream = uniqueStream()
  const appended: string[] = []
  let revision: bigint | 'no_stream' = 'no_stream'
  async function appendBatch(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const events = [newEvent('Step', { i: appended.length }), newEvent('Step', { i: appended.length + 1 })]
      const result = await store.append(stream, events, { expectedRevision: revision })
      revision = result.nextExpectedRevision
      appended.push(...events.map((e) => e.eventId))
    }
  }

  // A slow consumer, so that the outage hits with events still in flight between server and consumer.
  const delivered: DeliveredEvent[] = []
  const subscription = store.subscribeAll({ filter: { streamPrefix: [stream] } })
  const consumer = (async () => {
    for await (const event of subscription) {
      delivered.push(event)
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
  })()

  await appendBatch(50)
  t.ok(await eventually(() => delivered.length >= 10), 'the subscription is delivering')
  t.ok(delivered.length < appended.length, 'the outage starts while events are still on their way')

  await standin.stop()
  for (const [name, call] of [
    ['append', () => store.append(stream, [newEvent('Step')], { expectedRevision: revision })],
    ['readStream', () => collect(store.readStream(stream))],
    ['ping', () => store.ping()],
  ] as const) {
    const started = Date.now()
    const error = await (call() as Promise<unknown>).then(() => null, (e: unknown) => e)
    t.type(error, StoreUnavailableError, `${name} while EventStoreDB is down`)
    t.ok(Date.now() - started < 1_000, `${name} failed in ${Date.now() - started} ms`)
  }
  await new Promise((resolve) => setTimeout(resolve, 300)) // let the subscription retry against a closed port

  await standin.start()
  t.ok(await untilAnswers(store), 'EventStoreDB answers again')
  await appendBatch(50)

  t.ok(await eventually(() => delivered.length >= appended.length, 10_000), 'the subscription caught up after the outage')
  await new Promise((resolve) => setTimeout(resolve, 100)) // anything extra would show up now
  await subscription.close()
  await consumer

  const ids = delivered.map((e) => e.eventId)
  t.equal(new Set(ids).size, ids.length, 'no event delivered twice')
  t.same(ids, appended, 'every event delivered, in append order')
  t.ok(
    delivered.every((e, i) => i === 0 || e.checkpoint.position > delivered[i - 1]!.checkpoint.position),
    'checkpoints strictly increase',
  )
  t.ok(warnings.length > 0, 'the drop was reported')
  t.equal((await collect(store.readStream(stream))).length, appended.length, 'the stream holds exactly what was acknowledged')
})

t.test('outage: a subscription opened while EventStoreDB is down starts once it is back', { skip: standinOnly('to stop and start the server mid-test') }, async (t) => {
  const { url, standin } = await esdbTarget(t)
  if (!standin) throw new Error('unreachable: skipped against a real server')
  const store = createEsdbEventStore({ connectionString: url, resubscribe: { initialDelayMs: 20, maxDelayMs: 100 } })
  t.teardown(() => store.close())
  const stream = uniqueStream()
  await store.append(stream, [newEvent('Before')])
  await standin.stop()

  const delivered: DeliveredEvent[] = []
  const subscription = store.subscribeAll({ filter: { streamPrefix: [stream] } })
  const consumer = (async () => {
    for await (const event of subscription) delivered.push(event)
  })()
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal(delivered.length, 0)

  await standin.restart()
  // The client may still be backing off from the refused connections: "once it is back" is once it answers.
  t.ok(await untilAnswers(store), 'EventStoreDB answers again')
  await store.append(stream, [newEvent('After')])
  t.ok(await eventually(() => delivered.length === 2))
  await subscription.close()
  await consumer
  t.same(delivered.map((e) => e.type), ['Before', 'After'])
})
