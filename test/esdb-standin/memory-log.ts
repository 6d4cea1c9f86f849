/**
 * The stand-in's in-memory transaction log. TEST-ONLY: part of the EventStoreDB stand-in for CI, not a server.
 *
 * It models just enough of EventStoreDB's storage for the client protocol: one global log in commit order, a
 * per-stream index, optimistic concurrency on the stream's last revision, and idempotent re-appends.
 */

/** A proposed event as it arrives over gRPC. */
export interface ProposedRecord {
  eventId: string
  type: string
  contentType: string
  data: Uint8Array
  customMetadata: Uint8Array
}

/** An event as the log holds it. */
export interface LogRecord extends ProposedRecord {
  streamId: string
  revision: bigint
  /**
   * Commit and prepare position. EventStoreDB writes every event of an append as its own prepare record with
   * the committed flag, so each event's commit position equals its prepare position (its log offset).
   */
  position: bigint
  /** .NET ticks (100 ns) since the Unix epoch, as the server sends them in the `created` metadata entry. */
  created: bigint
}

/** The expected revision of an append, in the server's terms. */
export type ExpectedVersion =
  | { kind: 'any' }
  | { kind: 'no_stream' }
  | { kind: 'stream_exists' }
  | { kind: 'revision'; revision: bigint }

export type AppendOutcome =
  | { ok: true; lastRevision: bigint; position: bigint | null }
  | { ok: false; currentRevision: bigint } // -1n: the stream does not exist

export interface MemoryLogOptions {
  /** Position of the first record. Tests start above 2^53 to prove nobody squeezes positions into a number. */
  firstPosition?: bigint
  /** Seed the records a fresh server writes on start (`$`-streams and `$`-types). Default true. */
  seedSystemRecords?: boolean
}

const NO_STREAM = -1n

export class MemoryLog {
  /** Every record, in commit (= position) order. */
  readonly records: LogRecord[] = []
  private readonly streams = new Map<string, LogRecord[]>()
  private nextPosition: bigint
  private waiters: Array<() => void> = []

  constructor(options: MemoryLogOptions = {}) {
    this.nextPosition = options.firstPosition ?? 0n
    if (options.seedSystemRecords ?? true) this.seed()
  }

  /**
   * A fresh EventStoreDB writes some records of its own ($users, $settings, …) before any client does. Which
   * ones exactly differs by version; these few stand for them so that adapters must filter system events out.
   * GUESS: names and payloads approximate, not copied from a real log.
   */
  private seed(): void {
    const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))
    const system = (streamId: string, type: string, data: unknown) =>
      this.append(streamId, { kind: 'any' }, [
        { eventId: crypto.randomUUID(), type, contentType: 'application/json', data: json(data), customMetadata: new Uint8Array() },
      ])
    system('$settings', '$settings', { $userStreamAcl: { $r: '$all' } })
    system('$users', '$User', { loginName: 'admin' })
    system('$user-admin', '$UserCreated', { loginName: 'admin', fullName: 'Event Store Administrator' })
    system('$$case-metadata-example', '$metadata', { $maxAge: null })
  }

  /**
   * Test knob, no server has it: the next record lands strictly above `position` (never moves backwards). Lets
   * the contract suite put positions beyond 2^53 on a log that already holds records.
   */
  skipPositionBeyond(position: bigint): void {
    if (position + 1n > this.nextPosition) this.nextPosition = position + 1n
  }

  lastRevision(streamId: string): bigint {
    const stream = this.streams.get(streamId)
    return stream ? BigInt(stream.length - 1) : NO_STREAM
  }

  stream(streamId: string): readonly LogRecord[] | undefined {
    return this.streams.get(streamId)
  }

  /** The position of the last record, or null on an empty log. */
  lastPosition(): bigint | null {
    return this.records.at(-1)?.position ?? null
  }

  /** Index of the first record whose position is >= `position` (binary search; positions are increasing). */
  indexAtOrAfter(position: bigint): number {
    let lo = 0
    let hi = this.records.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.records[mid]!.position < position) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** Index of the first record whose position is > `position`. */
  indexAfter(position: bigint): number {
    const i = this.indexAtOrAfter(position)
    return i < this.records.length && this.records[i]!.position === position ? i + 1 : i
  }

  append(streamId: string, expected: ExpectedVersion, events: ProposedRecord[]): AppendOutcome {
    const existing = this.streams.get(streamId) ?? []
    const current = BigInt(existing.length - 1)

    const replay = this.idempotentReplay(existing, expected, events)
    if (replay === 'corrupted') return { ok: false, currentRevision: current }
    if (replay) return replay

    const matches =
      expected.kind === 'any' ||
      (expected.kind === 'no_stream' && current === NO_STREAM) ||
      (expected.kind === 'stream_exists' && current !== NO_STREAM) ||
      (expected.kind === 'revision' && expected.revision === current)
    if (!matches) return { ok: false, currentRevision: current }

    // GUESS: an empty append that passes the check succeeds without a position, like a write of nothing.
    if (events.length === 0) return { ok: true, lastRevision: current, position: null }

    const created = BigInt(Date.now()) * 10_000n
    let revision = current
    let last: LogRecord | undefined
    for (const event of events) {
      revision += 1n
      last = { ...event, streamId, revision, position: this.nextPosition, created }
      // Positions are log offsets: increasing, never contiguous. The size is only roughly a record's size on
      // disk, which is the point: nobody may assume `next = previous + 1`.
      this.nextPosition += BigInt(64 + streamId.length + event.type.length + event.data.length + event.customMetadata.length)
      existing.push(last)
      this.records.push(last)
    }
    this.streams.set(streamId, existing)
    const waiters = this.waiters
    this.waiters = []
    for (const wake of waiters) wake()
    return { ok: true, lastRevision: revision, position: last!.position }
  }

  /**
   * EventStoreDB makes a re-sent append idempotent when the same event ids already sit where the append would
   * put them: it answers success with the original revisions instead of writing them twice. When only some of
   * them match it reports a wrong expected version (the server calls this "corrupted idempotency").
   * Modelled from the server's documented behaviour; conservative: only exact, contiguous matches count.
   */
  private idempotentReplay(
    existing: LogRecord[],
    expected: ExpectedVersion,
    events: ProposedRecord[],
  ): AppendOutcome | 'corrupted' | null {
    const first = events[0]
    if (!first) return null
    const start = existing.findIndex((r) => r.eventId === first.eventId)
    if (start < 0) return null
    const placedAsExpected =
      expected.kind === 'any' ||
      expected.kind === 'stream_exists' ||
      (expected.kind === 'no_stream' && start === 0) ||
      (expected.kind === 'revision' && expected.revision === BigInt(start - 1))
    if (!placedAsExpected) return null
    const all = events.every((e, i) => existing[start + i]?.eventId === e.eventId)
    if (!all) return 'corrupted'
    const last = existing[start + events.length - 1]!
    return { ok: true, lastRevision: last.revision, position: last.position }
  }

  /** Resolves at the next append (or immediately via `abort`). Used by live subscriptions. */
  nextAppend(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve()
      const wake = () => {
        signal.removeEventListener('abort', wake)
        resolve()
      }
      this.waiters.push(wake)
      signal.addEventListener('abort', wake, { once: true })
    })
  }
}
