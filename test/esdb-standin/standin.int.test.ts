import * as grpc from '@grpc/grpc-js'
import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  START,
  StreamNotFoundError,
  eventTypeFilter,
  excludeSystemEvents,
  jsonEvent,
} from '@eventstore/db-client'
import featuresGrpc from '@eventstore/db-client/generated/serverfeatures_grpc_pb.js'
import sharedPb from '@eventstore/db-client/generated/shared_pb.js'
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js'
import streamsPb from '@eventstore/db-client/generated/streams_pb.js'
import t from 'tap'
import type { Test } from 'tap'
import { startStandin } from './standin.js'
import type { Standin } from './standin.js'

// The stand-in checked at the protocol level, with the real client and with raw gRPC calls: the answers the
// adapter relies on must have the shape EventStoreDB gives them.

async function withClient(t: Test, standin: Standin): Promise<EventStoreDBClient> {
  const client = EventStoreDBClient.connectionString(standin.url)
  t.teardown(() => client.dispose())
  return client
}

async function started(t: Test, options: Parameters<typeof startStandin>[0] = {}): Promise<Standin> {
  const standin = await startStandin(options)
  t.teardown(() => standin.close())
  return standin
}

function rawStreamsClient(t: Test, standin: Standin) {
  const client = new streamsGrpc.StreamsClient(`127.0.0.1:${standin.port}`, grpc.credentials.createInsecure())
  t.teardown(() => client.close())
  return client
}

function rawAppend(t: Test, standin: Standin, streamId: string, expected: bigint | 'no_stream' | 'any') {
  return new Promise<InstanceType<typeof streamsPb.AppendResp>>((resolve, reject) => {
    const call = rawStreamsClient(t, standin).append((error, response) => (error ? reject(error) : resolve(response)))
    const options = new streamsPb.AppendReq.Options()
    const identifier = new sharedPb.StreamIdentifier()
    identifier.setStreamName(Buffer.from(streamId))
    options.setStreamIdentifier(identifier)
    if (expected === 'no_stream') options.setNoStream(new sharedPb.Empty())
    else if (expected === 'any') options.setAny(new sharedPb.Empty())
    else options.setRevision(expected.toString())
    const header = new streamsPb.AppendReq()
    header.setOptions(options)
    call.write(header)
    const message = new streamsPb.AppendReq.ProposedMessage()
    const id = new sharedPb.UUID()
    id.setString(crypto.randomUUID())
    message.setId(id)
    message.getMetadataMap().set('type', 'Raw').set('content-type', 'application/json')
    message.setData(Buffer.from('{}'))
    const proposed = new streamsPb.AppendReq()
    proposed.setProposedMessage(message)
    call.write(proposed)
    call.end()
  })
}

t.test('Append answers a wrong expected version with the current and the 20.6.0 fields, like the server', async (t) => {
  const standin = await started(t)
  const ok = await rawAppend(t, standin, 'raw-1', 'no_stream')
  t.equal(ok.getSuccess()?.getCurrentRevision(), '0')
  t.equal(ok.getSuccess()?.getPosition()?.getCommitPosition(), standin.log.stream('raw-1')![0]!.position.toString())

  const wrong = (await rawAppend(t, standin, 'raw-1', 5n)).getWrongExpectedVersion()!
  t.same(
    [wrong.getCurrentRevision(), wrong.getCurrentRevision2060(), wrong.getExpectedRevision(), wrong.getExpectedRevision2060()],
    ['0', 0, '5', 5],
  )
  const missing = (await rawAppend(t, standin, 'raw-2', 3n)).getWrongExpectedVersion()!
  t.ok(missing.hasCurrentNoStream() && missing.hasNoStream2060(), 'no stream, in both generations of fields')
  const exists = (await rawAppend(t, standin, 'raw-1', 'no_stream')).getWrongExpectedVersion()!
  t.ok(exists.hasExpectedNoStream())
})

t.test('ServerFeatures: the methods it implements, or UNIMPLEMENTED like a 20.x server', async (t) => {
  const modern = await started(t)
  const legacy = await started(t, { serverFeatures: false })
  const ask = (standin: Standin) =>
    new Promise<{ error: grpc.ServiceError | null; methods: string[] }>((resolve) => {
      const client = new featuresGrpc.ServerFeaturesClient(`127.0.0.1:${standin.port}`, grpc.credentials.createInsecure())
      client.getSupportedMethods(new sharedPb.Empty(), (error, response) => {
        client.close()
        resolve({ error, methods: response?.getMethodsList().map((m) => `${m.getServiceName()}/${m.getMethodName()}`) ?? [] })
      })
    })
  const answer = await ask(modern)
  t.equal(answer.error, null)
  t.ok(answer.methods.includes('event_store.client.streams.streams/batchappend'))
  t.notOk(answer.methods.some((m) => m.endsWith('/delete')), 'deletes are not offered: the stand-in has none')
  t.equal((await ask(legacy)).error?.code, grpc.status.UNIMPLEMENTED)

  const client = await withClient(t, modern)
  await t.rejects(client.deleteStream('anything'), 'what it does not implement fails loudly')
})

t.test('reads: stream forwards/backwards, stream not found, $all backwards from the end', async (t) => {
  const standin = await started(t)
  const client = await withClient(t, standin)
  await client.appendToStream('s-1', [1, 2, 3].map((i) => jsonEvent({ type: 'N', data: { i } })))
  const revisions = async (options: Parameters<EventStoreDBClient['readStream']>[1]) => {
    const out: bigint[] = []
    for await (const e of client.readStream('s-1', options)) out.push(e.event!.revision)
    return out
  }
  t.same(await revisions({ fromRevision: 1n }), [1n, 2n])
  t.same(await revisions({ direction: BACKWARDS, fromRevision: END, maxCount: 2 }), [2n, 1n])
  t.same(await revisions({ fromRevision: START, maxCount: 1 }), [0n])
  const missing = async () => {
    for await (const _ of client.readStream('missing')) void _
  }
  t.type(await missing().catch((e: unknown) => e), StreamNotFoundError, 'a missing stream: StreamNotFound, which the client throws')
  const last = []
  for await (const e of client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 })) last.push(e.event?.type)
  t.same(last, ['N'])
})

t.test('subscriptions: confirmation, checkpoints while filtering, caught-up, then live', async (t) => {
  const standin = await started(t)
  const client = await withClient(t, standin)
  for (let i = 0; i < 40; i++) await client.appendToStream(`noise-${i}`, jsonEvent({ type: 'Noise', data: {} }))
  await client.appendToStream('s-1', jsonEvent({ type: 'Wanted', data: {} }))

  const checkpoints: bigint[] = []
  const subscription = client.subscribeToAll({
    filter: eventTypeFilter({
      prefixes: ['Wanted'],
      maxSearchWindow: 10,
      checkpointInterval: 1,
      checkpointReached: (_s, position) => {
        checkpoints.push(position.commit)
      },
    }),
  })
  let confirmed = false
  let caughtUp = false
  subscription.on('confirmation', () => (confirmed = true))
  subscription.on('caughtUp', () => (caughtUp = true))
  const seen: string[] = []
  for await (const resolved of subscription) {
    seen.push(resolved.event!.streamId)
    if (seen.length === 1) await client.appendToStream('s-2', jsonEvent({ type: 'Wanted', data: {} }))
    if (seen.length === 2) break
  }
  await subscription.unsubscribe()
  t.same(seen, ['s-1', 's-2'], 'catch-up, then the live event')
  t.ok(confirmed && caughtUp)
  t.ok(checkpoints.length >= 4, `${checkpoints.length} checkpoints over 40 skipped events`)
  t.ok(checkpoints.every((p, i) => i === 0 || p > checkpoints[i - 1]!), 'checkpoints move forward')

  const system: string[] = []
  const everything = client.subscribeToAll({ filter: excludeSystemEvents() })
  for await (const resolved of everything) {
    system.push(resolved.event!.type)
    if (resolved.event!.streamId === 's-2') break
  }
  await everything.unsubscribe()
  t.notOk(system.some((type) => type.startsWith('$')), 'the client’s own system-event filter works on the stand-in')
})

t.test('stop and start keep the data and the port, like a restarted server', async (t) => {
  const standin = await started(t)
  const client = await withClient(t, standin)
  await client.appendToStream('s-1', jsonEvent({ type: 'Kept', data: {} }))
  const url = standin.url
  await standin.restart()
  t.equal(standin.url, url)
  let read: string[] = []
  // The client notices the dropped connection on its first call; a second call goes to the new one.
  for (let attempt = 0; attempt < 2 && read.length === 0; attempt++) {
    try {
      for await (const e of client.readStream('s-1')) read.push(e.event!.type)
    } catch {
      read = []
    }
  }
  t.same(read, ['Kept'])
})
