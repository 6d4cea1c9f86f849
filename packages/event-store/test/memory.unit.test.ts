import { randomUUID } from 'node:crypto'
import t from 'tap'
import { runEventStoreContract } from '@pc/testing/event-store-contract'
import { createMemoryEventStore } from '../src/memory.js'
import type { NewEvent } from '../src/types.js'

function newEvent(data: NewEvent['data'] = {}): NewEvent {
  return {
    eventId: randomUUID(),
    type: 'Noted',
    schemaVersion: 1,
    data,
    metadata: {
      actor: { id: 'u', roles: [] },
      occurredAt: '2025-01-01T00:00:00.000Z',
      correlationId: 'c',
      causationId: null,
      prevHash: '0',
      hash: '1',
    },
  }
}

await runEventStoreContract(t, 'memory', async () => {
  const store = createMemoryEventStore()
  return {
    store,
    cleanup: () => store.close(),
    capabilities: { setGlobalPosition: async (position) => store.setGlobalPosition(position) },
  }
})

t.test('memory: every checkpoint has txId 0 and follows the position', async (t) => {
  const store = createMemoryEventStore()
  t.teardown(() => store.close())
  await store.append('s-1', [newEvent(), newEvent()])
  const all = []
  for await (const event of store.readAll()) all.push(event)
  t.strictSame(
    all.map((e) => e.checkpoint),
    all.map((e) => ({ txId: 0n, position: e.position })),
  )
})

t.test('memory: setGlobalPosition never moves positions backwards', async (t) => {
  const store = createMemoryEventStore()
  t.teardown(() => store.close())
  store.setGlobalPosition(100n)
  const first = await store.append('s-1', [newEvent()])
  store.setGlobalPosition(5n)
  const second = await store.append('s-1', [newEvent()])
  t.equal(first.position, 101n)
  t.equal(second.position, 102n)
})

t.test('memory: readers get copies, so mutating a read event does not change the log', async (t) => {
  const store = createMemoryEventStore()
  t.teardown(() => store.close())
  const written = newEvent({ list: [1] })
  await store.append('s-1', [written])
  ;(written.data.list as number[]).push(99)
  for await (const event of store.readStream('s-1')) (event.data.list as number[]).push(2)
  for await (const event of store.readStream('s-1')) t.same(event.data, { list: [1] })
})

t.test('memory: bad arguments fail before anything is stored', async (t) => {
  const store = createMemoryEventStore()
  t.teardown(() => store.close())
  await t.rejects(store.append('s-1', []), TypeError, 'no events')
  await t.rejects(store.append('s-1', [{ ...newEvent(), eventId: 'not-a-uuid' }]), TypeError, 'bad id')
  await t.rejects(store.append('s-1', [newEvent()], { expectedRevision: -1n }), TypeError, 'negative revision')
  await t.rejects(store.append('', [newEvent()]), TypeError, 'empty stream id')
  const read = []
  for await (const event of store.readStream('s-1')) read.push(event)
  t.same(read, [])
  await store.close()
  await t.rejects(store.append('s-1', [newEvent()]), /closed/, 'a closed store refuses appends')
})
