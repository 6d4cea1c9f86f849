/**
 * ─────────────────────────────────────────────────────────────────────────────────────────────────────────────
 *  A STAND-IN FOR CI, NOT A SERVER. It is not EventStoreDB, stores nothing on disk and must never be used by
 *  `start` or in production. It exists because no EventStoreDB server can be installed on the build machines.
 * ─────────────────────────────────────────────────────────────────────────────────────────────────────────────
 *
 * It answers the parts of EventStoreDB's gRPC client protocol that `@eventstore/db-client` uses for our
 * adapter — `Streams.Append`, `Streams.BatchAppend`, `Streams.Read` (stream reads, `$all` reads, catch-up
 * subscriptions with filters and checkpoints) and `ServerFeatures.GetSupportedMethods` — on the service
 * definitions and message classes generated from the server's .proto files that ship inside the client package.
 * The real client library talks to it over a real socket, so the adapter is exercised through the same wire
 * protocol it meets in production. Everything else (deletes, persistent subscriptions, projections, users,
 * gossip, authentication) is absent and answers UNIMPLEMENTED, as a server without that service would.
 *
 * Where its behaviour follows the server's source it says so; where it is a guess it says GUESS and keeps to
 * the narrowest behaviour a client could rely on.
 */
import { once } from 'node:events'
import * as grpc from '@grpc/grpc-js'
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js'
import streamsPb from '@eventstore/db-client/generated/streams_pb.js'
import sharedPb from '@eventstore/db-client/generated/shared_pb.js'
import statusPb from '@eventstore/db-client/generated/status_pb.js'
import codePb from '@eventstore/db-client/generated/code_pb.js'
import featuresGrpc from '@eventstore/db-client/generated/serverfeatures_grpc_pb.js'
import featuresPb from '@eventstore/db-client/generated/serverfeatures_pb.js'
import anyPb from 'google-protobuf/google/protobuf/any_pb.js'
import emptyPb from 'google-protobuf/google/protobuf/empty_pb.js'
import { MemoryLog } from './memory-log.js'
import type { ExpectedVersion, LogRecord, MemoryLogOptions, ProposedRecord } from './memory-log.js'

const { ReadResp, AppendResp, BatchAppendResp } = streamsPb
type ReadReq = InstanceType<typeof streamsPb.ReadReq>
type ReadRespT = InstanceType<typeof ReadResp>
type AppendReq = InstanceType<typeof streamsPb.AppendReq>
type AppendRespT = InstanceType<typeof AppendResp>
type BatchAppendReq = InstanceType<typeof streamsPb.BatchAppendReq>
type BatchAppendRespT = InstanceType<typeof BatchAppendResp>
type FilterOptions = InstanceType<typeof streamsPb.ReadReq.Options.FilterOptions>
type Uuid = InstanceType<typeof sharedPb.UUID>

export interface StandinOptions extends MemoryLogOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number
  host?: string
  /**
   * true (default): answer `ServerFeatures.GetSupportedMethods` like a 21.10+ server, so the client appends
   * through `BatchAppend`. false: answer UNIMPLEMENTED like a 20.x server, so it falls back to `Append`.
   */
  serverFeatures?: boolean
  /**
   * true (default): stream reads carry each event's `$all` position, as servers since 22.x do (KurrentDB PR
   * #3459). false: they carry the "unknown" position (2^64 - 1), as older servers did.
   */
  streamReadPositions?: boolean
}

export interface Standin {
  /** `esdb://host:port?tls=false` */
  readonly url: string
  readonly port: number
  /** The events it holds; they survive `stop()`/`start()` like a real server's data survive a restart. */
  readonly log: MemoryLog
  /** Drop every connection and stop listening, as a crash or network cut would. */
  stop(): Promise<void>
  /** Listen again on the same port. */
  start(): Promise<void>
  restart(): Promise<void>
  close(): Promise<void>
}

/** The "no position" value EventStoreDB encodes as unsigned 64-bit -1. */
const UNKNOWN_POSITION = 2n ** 64n - 1n

/**
 * Start the stand-in. For tests: `const esdb = await startStandin(); t.teardown(() => esdb.close())`.
 *
 * @example
 * const esdb = await startStandin({ port: 2113 })
 * console.log(esdb.url) // esdb://127.0.0.1:2113?tls=false
 */
export async function startStandin(options: StandinOptions = {}): Promise<Standin> {
  const host = options.host ?? '127.0.0.1'
  const log = new MemoryLog(options)
  const streamReadPositions = options.streamReadPositions ?? true
  const serverFeatures = options.serverFeatures ?? true
  const live = new Set<AbortController>()
  let server: grpc.Server | null = null
  let port = options.port ?? 0

  const streams: grpc.UntypedServiceImplementation = {
    read: (call: grpc.ServerWritableStream<ReadReq, ReadRespT>) => {
      const ac = new AbortController()
      live.add(ac)
      call.on('cancelled', () => ac.abort())
      read(call, log, ac.signal, streamReadPositions)
        .then(() => {
          if (!ac.signal.aborted) call.end()
        })
        .catch((error: unknown) => {
          if (!ac.signal.aborted) call.emit('error', asServiceError(error))
        })
        .finally(() => live.delete(ac))
    },
    append: (call: grpc.ServerReadableStream<AppendReq, AppendRespT>, callback: grpc.sendUnaryData<AppendRespT>) => {
      append(call, log).then((resp) => callback(null, resp), (error: unknown) => callback(asServiceError(error)))
    },
    batchAppend: (call: grpc.ServerDuplexStream<BatchAppendReq, BatchAppendRespT>) => batchAppend(call, log),
    delete: unimplemented('Streams.Delete'),
    tombstone: unimplemented('Streams.Tombstone'),
  }

  const features: grpc.UntypedServiceImplementation = {
    getSupportedMethods: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      if (!serverFeatures) return callback({ code: grpc.status.UNIMPLEMENTED, details: 'Method not found' })
      callback(null, supportedMethods())
    },
  }

  async function start(): Promise<void> {
    if (server) return
    const next = new grpc.Server()
    next.addService(streamsGrpc.StreamsService, streams)
    next.addService(featuresGrpc.ServerFeaturesService, features)
    port = await new Promise<number>((resolve, reject) =>
      next.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    )
    server = next
  }

  async function stop(): Promise<void> {
    const current = server
    if (!current) return
    server = null
    for (const ac of live) ac.abort()
    live.clear()
    // forceShutdown, not tryShutdown: an outage does not wait for open subscriptions to finish.
    current.forceShutdown()
  }

  await start()
  return {
    get url() {
      return `esdb://${host}:${port}?tls=false`
    },
    get port() {
      return port
    },
    log,
    stop,
    start,
    async restart() {
      await stop()
      await start()
    },
    close: stop,
  }
}

// ── ServerFeatures ───────────────────────────────────────────────────────────────────────────────────────────

/**
 * Lists what this stand-in implements, in the server's format (lower-case service and method names, the same
 * feature strings the server adds — from the server's ServerFeatures.cs). Deletes and tombstones are left out
 * because the stand-in does not implement them.
 */
function supportedMethods() {
  const method = (service: string, name: string, features: string[] = []) => {
    const m = new featuresPb.SupportedMethod()
    m.setServiceName(service)
    m.setMethodName(name)
    m.setFeaturesList(features)
    return m
  }
  const result = new featuresPb.SupportedMethods()
  result.setEventStoreServerVersion('0.0.0-ci-standin')
  result.setMethodsList([
    method('event_store.client.streams.streams', 'read', ['position', 'events']),
    method('event_store.client.streams.streams', 'append'),
    method('event_store.client.streams.streams', 'batchappend', ['deadline_duration']),
    method('event_store.client.server_features.serverfeatures', 'getsupportedmethods'),
  ])
  return result
}

function unimplemented(name: string) {
  return (_call: unknown, callback?: grpc.sendUnaryData<unknown>) => {
    callback?.({ code: grpc.status.UNIMPLEMENTED, details: `${name} is not implemented by the CI stand-in` })
  }
}

// ── Append ───────────────────────────────────────────────────────────────────────────────────────────────────

async function append(call: grpc.ServerReadableStream<AppendReq, AppendRespT>, log: MemoryLog): Promise<AppendRespT> {
  let options: InstanceType<typeof streamsPb.AppendReq.Options> | undefined
  const events: ProposedRecord[] = []
  for await (const req of call as AsyncIterable<AppendReq>) {
    if (!options) {
      options = req.getOptions()
      if (!options) throw invalidArgument('the first append message must carry options')
      continue
    }
    const message = req.getProposedMessage()
    if (!message) throw invalidArgument('expected a proposed message')
    events.push(proposed(message))
  }
  if (!options) throw invalidArgument('empty append')

  const streamId = streamName(options.getStreamIdentifier())
  const E = streamsPb.AppendReq.Options.ExpectedStreamRevisionCase
  const expected: ExpectedVersion = (() => {
    switch (options.getExpectedStreamRevisionCase()) {
      case E.REVISION:
        return { kind: 'revision', revision: BigInt(options.getRevision()) } as const
      case E.NO_STREAM:
        return { kind: 'no_stream' } as const
      case E.STREAM_EXISTS:
        return { kind: 'stream_exists' } as const
      case E.ANY:
        return { kind: 'any' } as const
      default:
        throw invalidArgument('expected stream revision not set')
    }
  })()

  const outcome = log.append(streamId, expected, events)
  const resp = new AppendResp()
  if (outcome.ok) {
    const success = new AppendResp.Success()
    if (outcome.lastRevision < 0n) success.setNoStream(new sharedPb.Empty())
    else success.setCurrentRevision(outcome.lastRevision.toString())
    if (outcome.position === null) success.setNoPosition(new sharedPb.Empty())
    else {
      // The position of the LAST event of the append (the server returns the commit position of its last prepare).
      const position = new AppendResp.Position()
      position.setCommitPosition(outcome.position.toString())
      position.setPreparePosition(outcome.position.toString())
      success.setPosition(position)
    }
    resp.setSuccess(success)
    return resp
  }
  // Field by field what the server's Streams.Append.cs sets: both the current fields and the deprecated
  // 20.6.0 ones, so clients of either generation read the same answer.
  const wrong = new AppendResp.WrongExpectedVersion()
  switch (expected.kind) {
    case 'any':
      wrong.setExpectedAny(new sharedPb.Empty())
      wrong.setAny2060(new sharedPb.Empty())
      break
    case 'stream_exists':
      wrong.setExpectedStreamExists(new sharedPb.Empty())
      wrong.setStreamExists2060(new sharedPb.Empty())
      break
    case 'no_stream':
      // The server also sets the deprecated expected_revision_20_6_0 to 2^64 - 1 here; that field is a plain
      // JavaScript number in the generated classes and cannot hold it, and this client never reads it.
      wrong.setExpectedNoStream(new sharedPb.Empty())
      break
    case 'revision':
      wrong.setExpectedRevision(expected.revision.toString())
      wrong.setExpectedRevision2060(Number(expected.revision))
      break
  }
  if (outcome.currentRevision < 0n) {
    wrong.setCurrentNoStream(new sharedPb.Empty())
    wrong.setNoStream2060(new sharedPb.Empty())
  } else {
    wrong.setCurrentRevision(outcome.currentRevision.toString())
    wrong.setCurrentRevision2060(Number(outcome.currentRevision))
  }
  resp.setWrongExpectedVersion(wrong)
  return resp
}

/**
 * Bidirectional batch append, one request per correlation id (split across messages until `is_final`). As in
 * the server's Streams.BatchAppend.cs the response carries the correlation id, the stream and either a success
 * or a google.rpc.Status whose details pack the shared `WrongExpectedVersion` (code ALREADY_EXISTS).
 */
function batchAppend(call: grpc.ServerDuplexStream<BatchAppendReq, BatchAppendRespT>, log: MemoryLog): void {
  const pending = new Map<string, { streamId: string; expected: ExpectedVersion; events: ProposedRecord[] }>()
  const O = streamsPb.BatchAppendReq.Options.ExpectedStreamPositionCase
  call.on('data', (req: BatchAppendReq) => {
    const correlation = req.getCorrelationId()
    const key = uuidString(correlation)
    const options = req.getOptions()
    if (options) {
      const expected: ExpectedVersion | null = (() => {
        switch (options.getExpectedStreamPositionCase()) {
          case O.STREAM_POSITION:
            return { kind: 'revision', revision: BigInt(options.getStreamPosition()) } as const
          case O.NO_STREAM:
            return { kind: 'no_stream' } as const
          case O.STREAM_EXISTS:
            return { kind: 'stream_exists' } as const
          case O.ANY:
            return { kind: 'any' } as const
          default:
            return null
        }
      })()
      if (!expected) return void call.emit('error', invalidArgument('expected stream position not set'))
      pending.set(key, { streamId: streamName(options.getStreamIdentifier()), expected, events: [] })
    }
    const request = pending.get(key)
    if (!request) return
    request.events.push(...req.getProposedMessagesList().map(proposed))
    if (!req.getIsFinal()) return
    pending.delete(key)

    const outcome = log.append(request.streamId, request.expected, request.events)
    const resp = new BatchAppendResp()
    resp.setCorrelationId(correlation)
    resp.setStreamIdentifier(streamIdentifier(request.streamId))
    if (outcome.ok) {
      const success = new BatchAppendResp.Success()
      if (outcome.lastRevision < 0n) success.setNoStream(new emptyPb.Empty())
      else success.setCurrentRevision(outcome.lastRevision.toString())
      if (outcome.position === null) success.setNoPosition(new emptyPb.Empty())
      else success.setPosition(allPosition(outcome.position))
      resp.setSuccess(success)
    } else {
      const details = new sharedPb.WrongExpectedVersion()
      if (outcome.currentRevision < 0n) details.setCurrentNoStream(new emptyPb.Empty())
      else details.setCurrentStreamRevision(outcome.currentRevision.toString())
      const expected = request.expected
      if (expected.kind === 'revision') details.setExpectedStreamPosition(expected.revision.toString())
      else if (expected.kind === 'any') details.setExpectedAny(new emptyPb.Empty())
      else if (expected.kind === 'no_stream') details.setExpectedNoStream(new emptyPb.Empty())
      else details.setExpectedStreamExists(new emptyPb.Empty())
      const packed = new anyPb.Any()
      packed.pack(details.serializeBinary(), 'event_store.client.WrongExpectedVersion')
      const status = new statusPb.Status()
      status.setCode(codePb.Code.ALREADY_EXISTS)
      status.setMessage('WrongExpectedVersion')
      status.setDetails(packed)
      resp.setError(status)
    }
    call.write(resp)
  })
  call.on('end', () => call.end())
  call.on('error', () => undefined)
}

// ── Read ─────────────────────────────────────────────────────────────────────────────────────────────────────

async function read(
  call: grpc.ServerWritableStream<ReadReq, ReadRespT>,
  log: MemoryLog,
  signal: AbortSignal,
  streamReadPositions: boolean,
): Promise<void> {
  const options = call.request.getOptions()
  if (!options) throw invalidArgument('read options missing')
  const structuredIds = options.getUuidOption()?.hasStructured() ?? false
  const forwards = options.getReadDirection() === streamsPb.ReadReq.Options.ReadDirection.FORWARDS
  const filter = options.hasFilter() ? compileFilter(options.getFilter()!) : null
  const send = (resp: ReadRespT) => write(call, resp, signal)
  const eventResp = (rec: LogRecord, fromAll: boolean) => {
    const resp = new ReadResp()
    resp.setEvent(readEvent(rec, structuredIds, fromAll, fromAll || streamReadPositions))
    return resp
  }

  if (options.hasStream()) {
    const streamOptions = options.getStream()!
    const streamId = streamName(streamOptions.getStreamIdentifier())
    const S = streamsPb.ReadReq.Options.StreamOptions.RevisionOptionCase

    if (options.hasSubscription()) {
      const revisionCase = streamOptions.getRevisionOptionCase()
      // Like $all: a subscription from a revision starts strictly after it; from the end, only new events.
      const after =
        revisionCase === S.REVISION
          ? BigInt(streamOptions.getRevision())
          : revisionCase === S.END
            ? log.lastRevision(streamId)
            : -1n
      const startIndex = revisionCase === S.END ? log.records.length : 0
      await subscribe(log, startIndex, (rec) => rec.streamId === streamId && rec.revision > after, null, send, signal, (rec) =>
        eventResp(rec, false),
      )
      return
    }

    const records = log.stream(streamId)
    if (!records) {
      // As the server does: a single StreamNotFound message, then the call ends normally.
      const notFound = new ReadResp.StreamNotFound()
      notFound.setStreamIdentifier(streamIdentifier(streamId))
      const resp = new ReadResp()
      resp.setStreamNotFound(notFound)
      await send(resp)
      return
    }
    const count = BigInt(options.getCount())
    const last = BigInt(records.length - 1)
    const from = (() => {
      switch (streamOptions.getRevisionOptionCase()) {
        case S.REVISION:
          return BigInt(streamOptions.getRevision())
        case S.END:
          return forwards ? last + 1n : last
        default:
          return 0n // backwards from the start reads the first event only
      }
    })()
    let sent = 0n
    if (forwards) {
      for (let r = from; r <= last && sent < count; r++, sent++) await send(eventResp(records[Number(r)]!, false))
    } else {
      for (let r = from > last ? last : from; r >= 0n && sent < count; r--, sent++)
        await send(eventResp(records[Number(r)]!, false))
    }
    return
  }

  if (!options.hasAll()) throw invalidArgument('read needs stream or all options')
  const allOptions = options.getAll()!
  const A = streamsPb.ReadReq.Options.AllOptions.AllOptionCase
  const positionCase = allOptions.getAllOptionCase()
  const commit = positionCase === A.POSITION ? BigInt(allOptions.getPosition()!.getCommitPosition()) : null
  const matches = (rec: LogRecord) => !filter || filter.matches(rec)

  if (options.hasSubscription()) {
    // From the server's AllSubscription enumerators: a subscription from a position starts strictly AFTER it.
    const startIndex =
      positionCase === A.END ? log.records.length : commit === null ? 0 : log.indexAfter(commit)
    await subscribe(log, startIndex, matches, filter, send, signal, (rec) => eventResp(rec, true))
    return
  }

  // A read of $all from a position includes the event AT that position (the position names the next record to
  // read). GUESS for backwards reads: they return records strictly before the position.
  const count = BigInt(options.getCount())
  let sent = 0n
  if (forwards) {
    const start = positionCase === A.END ? log.records.length : commit === null ? 0 : log.indexAtOrAfter(commit)
    for (let i = start; i < log.records.length && sent < count; i++) {
      const rec = log.records[i]!
      if (!matches(rec)) continue
      const pending = send(eventResp(rec, true))
      if (pending) await pending
      sent++
    }
  } else {
    const start = positionCase === A.START ? -1 : commit === null ? log.records.length - 1 : log.indexAtOrAfter(commit) - 1
    for (let i = start; i >= 0 && sent < count; i--) {
      const rec = log.records[i]!
      if (!matches(rec)) continue
      const pending = send(eventResp(rec, true))
      if (pending) await pending
      sent++
    }
  }
}

/**
 * Catch-up then live over one cursor into the global log: no gap and no repeat at the switch, because the
 * cursor simply waits at the end of the log for the next append.
 *
 * Messages, in order: a confirmation with a subscription id; the matching events; for filtered subscriptions a
 * checkpoint every `checkpointInterval` records examined without a match (GUESS: the server counts in read
 * batches of its search window, so its checkpoints are sparser and land on batch boundaries); one `CaughtUp`
 * when the cursor first reaches the end (servers since 23.10 send it; the client only emits an event for it);
 * then live events. Slow consumers are never dropped (no FellBehind).
 */
async function subscribe(
  log: MemoryLog,
  startIndex: number,
  matches: (rec: LogRecord) => boolean,
  filter: CompiledFilter | null,
  send: (resp: ReadRespT) => Promise<void> | undefined,
  signal: AbortSignal,
  toResp: (rec: LogRecord) => ReadRespT,
): Promise<void> {
  const confirmation = new ReadResp.SubscriptionConfirmation()
  confirmation.setSubscriptionId(crypto.randomUUID())
  const confirm = new ReadResp()
  confirm.setConfirmation(confirmation)
  await send(confirm)

  let cursor = startIndex
  let sinceCheckpoint = 0
  let caughtUp = false
  while (!signal.aborted) {
    while (cursor < log.records.length && !signal.aborted) {
      const rec = log.records[cursor++]!
      if (matches(rec)) {
        sinceCheckpoint = 0
        const pending = send(toResp(rec))
        if (pending) await pending
      } else if (filter && ++sinceCheckpoint >= filter.checkpointInterval) {
        sinceCheckpoint = 0
        const checkpoint = new ReadResp.Checkpoint()
        checkpoint.setCommitPosition(rec.position.toString())
        checkpoint.setPreparePosition(rec.position.toString())
        const resp = new ReadResp()
        resp.setCheckpoint(checkpoint)
        await send(resp)
      }
    }
    if (!caughtUp && !signal.aborted) {
      caughtUp = true
      const resp = new ReadResp()
      resp.setCaughtUp(new ReadResp.CaughtUp())
      await send(resp)
    }
    if (cursor >= log.records.length) await log.nextAppend(signal)
  }
}

interface CompiledFilter {
  matches(rec: LogRecord): boolean
  checkpointInterval: number
}

/** Server-side filter on stream name or event type, by prefixes or by regular expression. */
function compileFilter(options: FilterOptions): CompiledFilter {
  const F = streamsPb.ReadReq.Options.FilterOptions.FilterCase
  const onStream = options.getFilterCase() === F.STREAM_IDENTIFIER
  const expression = onStream ? options.getStreamIdentifier() : options.getEventType()
  if (!expression) throw invalidArgument('filter without expression')
  const regex = expression.getRegex()
  const prefixes = expression.getPrefixList()
  // .NET and JavaScript agree on the simple expressions clients send (the client's own is "^[^$].*").
  const test = regex ? (value: string) => new RegExp(regex).test(value) : (value: string) => prefixes.some((p) => value.startsWith(p))
  // The search window is `max` when given; 32 otherwise (the server's read batch size). The checkpoint
  // interval is the client's multiplier times the window.
  const window = options.hasMax() ? options.getMax() : 32
  return {
    matches: (rec) => test(onStream ? rec.streamId : rec.type),
    checkpointInterval: Math.max(1, options.getCheckpointintervalmultiplier() || 1) * window,
  }
}

// ── Message helpers ──────────────────────────────────────────────────────────────────────────────────────────

function readEvent(rec: LogRecord, structuredIds: boolean, fromAll: boolean, withPosition: boolean) {
  const recorded = new ReadResp.ReadEvent.RecordedEvent()
  recorded.setId(uuid(rec.eventId, structuredIds))
  recorded.setStreamIdentifier(streamIdentifier(rec.streamId))
  recorded.setStreamRevision(rec.revision.toString())
  const position = (withPosition ? rec.position : UNKNOWN_POSITION).toString()
  recorded.setCommitPosition(position)
  recorded.setPreparePosition(position)
  recorded
    .getMetadataMap()
    .set('type', rec.type)
    .set('content-type', rec.contentType)
    .set('created', rec.created.toString())
  recorded.setData(rec.data)
  recorded.setCustomMetadata(rec.customMetadata)
  const event = new ReadResp.ReadEvent()
  event.setEvent(recorded)
  // The envelope's own position is the $all position the read went through; stream reads have none.
  if (fromAll) event.setCommitPosition(rec.position.toString())
  else event.setNoPosition(new sharedPb.Empty())
  return event
}

function proposed(message: {
  getId(): Uuid | undefined
  getMetadataMap(): { get(key: string): string | undefined }
  getData_asU8(): Uint8Array
  getCustomMetadata_asU8(): Uint8Array
}): ProposedRecord {
  const metadata = message.getMetadataMap()
  const type = metadata.get('type')
  const contentType = metadata.get('content-type')
  if (type === undefined) throw missingMetadata('type')
  if (contentType === undefined) throw missingMetadata('content-type')
  return {
    eventId: uuidString(message.getId()),
    type,
    contentType,
    data: message.getData_asU8(),
    customMetadata: message.getCustomMetadata_asU8(),
  }
}

function streamName(identifier: InstanceType<typeof sharedPb.StreamIdentifier> | undefined): string {
  if (!identifier) throw invalidArgument('stream identifier missing')
  return Buffer.from(identifier.getStreamName_asU8()).toString('utf8')
}

function streamIdentifier(streamId: string) {
  const identifier = new sharedPb.StreamIdentifier()
  identifier.setStreamName(Buffer.from(streamId, 'utf8'))
  return identifier
}

function allPosition(position: bigint) {
  const p = new sharedPb.AllStreamPosition()
  p.setCommitPosition(position.toString())
  p.setPreparePosition(position.toString())
  return p
}

function uuidString(id: Uuid | undefined): string {
  if (!id) throw invalidArgument('uuid missing')
  if (!id.hasStructured()) return id.getString()
  const s = id.getStructured()!
  const hex =
    BigInt.asUintN(64, BigInt(s.getMostSignificantBits())).toString(16).padStart(16, '0') +
    BigInt.asUintN(64, BigInt(s.getLeastSignificantBits())).toString(16).padStart(16, '0')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

function uuid(id: string, structured: boolean): Uuid {
  const result = new sharedPb.UUID()
  if (!structured) {
    result.setString(id)
    return result
  }
  const hex = id.replaceAll('-', '')
  const s = new sharedPb.UUID.Structured()
  s.setMostSignificantBits(BigInt.asIntN(64, BigInt(`0x${hex.slice(0, 16)}`)).toString())
  s.setLeastSignificantBits(BigInt.asIntN(64, BigInt(`0x${hex.slice(16)}`)).toString())
  result.setStructured(s)
  return result
}

/** Writes one message; returns a promise only when the client is behind and we must wait for it to drain. */
function write(
  call: grpc.ServerWritableStream<ReadReq, ReadRespT>,
  resp: ReadRespT,
  signal: AbortSignal,
): Promise<void> | undefined {
  if (signal.aborted || call.write(resp)) return undefined
  return once(call, 'drain', { signal }).then(
    () => undefined,
    () => undefined, // aborted: the caller sees `signal.aborted` and stops
  )
}

function invalidArgument(details: string): grpc.ServiceError {
  return serviceError(grpc.status.INVALID_ARGUMENT, details)
}

/** The server names the missing property in trailers the client turns into RequiredMetadataPropertyMissingError. */
function missingMetadata(property: string): grpc.ServiceError {
  const metadata = new grpc.Metadata()
  metadata.set('exception', 'missing-required-metadata-property')
  metadata.set('required-metadata-properties', property)
  return Object.assign(serviceError(grpc.status.INVALID_ARGUMENT, `Required metadata property ${property} is missing`), {
    metadata,
  })
}

function serviceError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() })
}

function asServiceError(error: unknown): grpc.ServiceError {
  if (error instanceof Error && 'code' in error && typeof error.code === 'number') return error as grpc.ServiceError
  return serviceError(grpc.status.INTERNAL, error instanceof Error ? error.message : String(error))
}
