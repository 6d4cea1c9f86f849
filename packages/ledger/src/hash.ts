import { canonicalJson } from './canonical-json.js'
import { sha256Hex } from './digest.js'

export { sha256Hex }

/**
 * Per-stream hash chains (DESIGN §6). Each event's `metadata.hash` is the SHA-256 of the canonical JSON of
 * the event with its own `hash` left out; `metadata.prevHash` is the previous event's hash in the same stream
 * (64 zeros at revision 0). Changing, dropping, reordering or inserting an event breaks the chain from there on.
 *
 * The shapes here are structural on purpose: `@pc/event-store` depends on this package, not the reverse.
 */

/** `prevHash` of the first event (revision 0) of every stream: 32 zero bytes as hex. */
export const ZERO_HASH = '0'.repeat(64)

const HASH_HEX = /^[0-9a-f]{64}$/

/** True when `s` is a lowercase hex SHA-256 (what `hash`/`prevHash` must look like). */
export function isHashHex(s: unknown): s is string {
  return typeof s === 'string' && HASH_HEX.test(s)
}

/** An event before sealing: what the command handler has built, without `prevHash`/`hash` yet. */
export interface UnsealedEvent {
  eventId: string
  type: string
  schemaVersion: number
  data: unknown
  metadata: Record<string, unknown>
}

/** Everything the event hash covers. `metadata.hash`, if present, is ignored. */
export interface HashableEvent extends UnsealedEvent {
  streamId: string
  /** 0-based revision in the stream; hashed as its decimal string. */
  revision: bigint
}

/**
 * The event hash: SHA-256 hex of canonicalJson({ streamId, revision (decimal string), eventId, type,
 * schemaVersion, data, metadata without `hash` }). `metadata.prevHash` is covered, which is what chains it.
 *
 * @example
 * const hash = hashEvent({ streamId: 'case-1', revision: 0n, eventId, type: 'CaseOpened', schemaVersion: 1,
 *   data, metadata: { ...metadata, prevHash: ZERO_HASH } })
 */
export function hashEvent(e: HashableEvent): string {
  if (typeof e.revision !== 'bigint' || e.revision < 0n) {
    throw new TypeError(`hashEvent: revision must be a non-negative bigint, got ${String(e.revision)}`)
  }
  const { hash: _ignored, ...metadata } = e.metadata
  return sha256Hex(
    canonicalJson({
      streamId: e.streamId,
      revision: e.revision.toString(),
      eventId: e.eventId,
      type: e.type,
      schemaVersion: e.schemaVersion,
      data: e.data,
      metadata,
    }),
  )
}

/** An event after `sealEvents`: its metadata now carries the chain links. */
export type SealedEvent<E extends UnsealedEvent> = Omit<E, 'metadata'> & {
  metadata: E['metadata'] & { prevHash: string; hash: string }
}

/**
 * Chains `events` onto a stream whose last stored event has hash `prevHash` (ZERO_HASH for a new stream),
 * the first of them landing at `nextRevision`. Returns copies with `metadata.prevHash` and `metadata.hash`
 * set; the inputs are not mutated. The command handler calls this right before appending, so the revision
 * it seals for must be the one the append is conditioned on (expected revision + 1).
 *
 * @example
 * const sealed = sealEvents('case-1', 3n, lastEvent.metadata.hash, newEvents)
 * await store.append('case-1', sealed, { expectedRevision: 2n })
 */
export function sealEvents<E extends UnsealedEvent>(
  streamId: string,
  nextRevision: bigint,
  prevHash: string,
  events: readonly E[],
): SealedEvent<E>[] {
  if (!isHashHex(prevHash)) throw new TypeError(`sealEvents: prevHash must be 64 lowercase hex, got ${prevHash}`)
  if (nextRevision === 0n && prevHash !== ZERO_HASH) {
    throw new TypeError('sealEvents: a stream starting at revision 0 must chain from ZERO_HASH')
  }
  let link = prevHash
  return events.map((event, i) => {
    const metadata = { ...event.metadata, prevHash: link }
    delete (metadata as { hash?: unknown }).hash
    const hash = hashEvent({ ...event, streamId, revision: nextRevision + BigInt(i), metadata })
    link = hash
    return { ...event, metadata: { ...metadata, hash } } as SealedEvent<E>
  })
}

/** What can be wrong with one event of a chain. */
export type ChainProblem =
  /** `metadata.hash` or `metadata.prevHash` is absent or not 64 lowercase hex. */
  | 'missing_hash'
  /** `metadata.hash` is not the hash of the event's content: the event was changed after sealing. */
  | 'hash_mismatch'
  /** `metadata.prevHash` is not the previous event's hash (ZERO_HASH at revision 0): an event before it is gone, reordered or forged. */
  | 'prev_hash_mismatch'
  /** The revision does not follow the previous one in its stream (or a stream does not start at 0). */
  | 'revision_gap'

export type ChainFailure = {
  ok: false
  problem: ChainProblem
  streamId: string
  revision: bigint
  eventId: string
  /** 0-based index of the event in the input sequence. */
  index: number
  /** One human-readable line saying what is wrong. */
  detail: string
}

export type ChainResult = { ok: true; count: number; streams: number } | ChainFailure

/**
 * Incremental chain checker for inputs too large to hold at once (a whole-log export, a live audit).
 * Feed events in position order; streams may interleave. Memory is one hash per stream.
 *
 * @example
 * const checker = new ChainVerifier()
 * for await (const e of events) { const bad = checker.check(e); if (bad) return bad }
 */
export class ChainVerifier {
  readonly #last = new Map<string, { revision: bigint; hash: string }>()
  #count = 0

  /** Checks the next event; returns the failure, or `undefined` when it extends its chain correctly. */
  check(e: HashableEvent): ChainFailure | undefined {
    const index = this.#count++
    const { hash, prevHash } = e.metadata
    if (!isHashHex(hash) || !isHashHex(prevHash)) return chainFailure(e, index, 'missing_hash', 'metadata.hash/prevHash missing or malformed')
    const previous = this.#last.get(e.streamId)
    const expectedRevision = previous === undefined ? 0n : previous.revision + 1n
    if (e.revision !== expectedRevision) {
      return chainFailure(e, index, 'revision_gap', `expected revision ${expectedRevision}, found ${e.revision}`)
    }
    const expectedPrev = previous === undefined ? ZERO_HASH : previous.hash
    if (prevHash !== expectedPrev) {
      return chainFailure(e, index, 'prev_hash_mismatch', `prevHash ${prevHash} but the previous event's hash is ${expectedPrev}`)
    }
    const actual = hashEvent(e)
    if (actual !== hash) return chainFailure(e, index, 'hash_mismatch', `stored hash ${hash} but the content hashes to ${actual}`)
    if (previous === undefined) this.#last.set(e.streamId, { revision: e.revision, hash })
    else {
      // Updated in place: one object per stream, not one per event.
      previous.revision = e.revision
      previous.hash = hash
    }
    return undefined
  }

  /** Events accepted or rejected so far. */
  get count(): number {
    return this.#count
  }

  /** Streams seen so far. */
  get streams(): number {
    return this.#last.size
  }

  /** The last verified hash of a stream (what the next event's prevHash must be), if seen. */
  head(streamId: string): { revision: bigint; hash: string } | undefined {
    const last = this.#last.get(streamId)
    // A copy: the stored entry is updated in place.
    return last === undefined ? undefined : { ...last }
  }
}

// A plain function rather than a closure in `check`: it runs once per event of a log being verified.
function chainFailure(e: HashableEvent, index: number, problem: ChainProblem, detail: string): ChainFailure {
  return {
    ok: false,
    problem,
    streamId: e.streamId,
    revision: e.revision,
    eventId: e.eventId,
    index,
    detail: `${e.streamId}@${e.revision} (event ${e.eventId}): ${detail}`,
  }
}

/**
 * Verifies every per-stream chain in `events` (position order; streams may interleave) and stops at the
 * first bad event. Every stream must start at revision 0, so pass whole streams.
 *
 * @example
 * const result = verifyChain(exported)
 * if (!result.ok) console.error(result.detail)
 */
export function verifyChain(events: Iterable<HashableEvent>): ChainResult {
  const checker = new ChainVerifier()
  for (const e of events) {
    const failure = checker.check(e)
    if (failure) return failure
  }
  return { ok: true, count: checker.count, streams: checker.streams }
}

/** `verifyChain` over an async source (a file read line by line, a store read page by page). */
export async function verifyChainAsync(events: AsyncIterable<HashableEvent> | Iterable<HashableEvent>): Promise<ChainResult> {
  const checker = new ChainVerifier()
  for await (const e of events) {
    const failure = checker.check(e)
    if (failure) return failure
  }
  return { ok: true, count: checker.count, streams: checker.streams }
}
