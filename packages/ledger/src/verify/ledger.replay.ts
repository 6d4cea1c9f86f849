import type { KeyObject } from 'node:crypto'
import { ChainVerifier, isHashHex } from '../hash.js'
import type { ChainFailure, HashableEvent } from '../hash.js'
import { LEDGER_CHECKPOINT_STREAM } from '../ledger-stream.js'
import { EMPTY_FRONTIER, appendLeaf, frontierRoot, leafHash, leafInputOfEventHash, nodeHash, toHex } from '../merkle.js'
import type { Frontier, Hash } from '../merkle.js'
import { verifyTreeHead } from '../tree-head.js'
import type { SignedTreeHead } from '../tree-head.js'

/** An event as the replay needs it (a `RecordedEvent` fits). */
export interface ReplayEvent extends HashableEvent {
  position: bigint
}

/** Where an event was: enough to name it in a report. */
export interface EventRef {
  eventId: string
  streamId: string
  revision: bigint
  position: bigint | undefined
}

/** The ledger's record of one leaf. */
export interface ReferenceLeaf extends EventRef {
  leafIndex: bigint
  leafHash: Hash
}

/** A signed head to check, and where it came from (named in reports). */
export interface HeadToCheck {
  head: SignedTreeHead
  source: string
}

export type Finding =
  | { kind: 'chain'; ordinal: number; failure: ChainFailure; position: bigint }
  | {
      kind: 'leaf_mismatch'
      ordinal: number
      leafIndex: bigint
      actual: EventRef
      expected: EventRef
      /**
       * What happened, told apart by looking at the rest of both sequences (first mismatch only): the ledger's
       * event is nowhere in the log (`deleted`), the log's event is nowhere in the ledger (`inserted`), both are
       * elsewhere (`moved`), neither is (`replaced`), or it is the same event with another hash (`altered`: changed
       * and re-hashed). `unknown` until the replay has finished.
       */
      cause: 'deleted' | 'inserted' | 'moved' | 'replaced' | 'altered' | 'unknown'
      /**
       * The first signed head covering the leaf, which settles who is right: the log (the ledger's record was
       * edited) or the ledger (the log was). First mismatch only; `ledgerMatches` is undefined when the ledger's
       * record ends before the head.
       */
      arbiter?: { treeSize: string; logMatches: boolean; ledgerMatches: boolean | undefined }
    }
  | { kind: 'leaf_missing'; leafIndex: bigint; expected: EventRef }
  | { kind: 'head_signature'; head: HeadToCheck; detail: string }
  | {
      kind: 'head_root'
      ordinal: number
      head: HeadToCheck
      actualRoot: string
      first: EventRef | undefined
      last: EventRef
      since: bigint
      /** The ledger's record gives the log's root too: both were rewritten alike, or the head is not theirs. */
      ledgerAgrees: boolean
    }
  | { kind: 'reference_root'; head: HeadToCheck; referenceRoot: string }
  | { kind: 'head_beyond_log'; head: HeadToCheck; leaves: bigint; firstMissing: EventRef | undefined }
  | { kind: 'stored_nodes'; treeSize: bigint; storedRoot: string; leavesRoot: string }

export interface ReplayOptions {
  /** Heads to check, in any order (duplicates are checked once). */
  heads?: readonly HeadToCheck[]
  /** Public keys by key id. A head signed by a key not here is a finding when `requireKnownKey`, else skipped. */
  keys?: ReadonlyMap<string, KeyObject>
  /** Heads by unknown keys count as failures (the `--head` an auditor passes must verify). */
  requireKnownKey?: (head: HeadToCheck) => boolean
  /**
   * When each key was retired, by key id (`GET /v1/ledger/keys`' `validUntil`; null or absent: current or not
   * known). A head dated after its key's retirement is a finding: a retired key that leaked cannot sign new heads.
   */
  retiredAt?: ReadonlyMap<string, string | null>
  /** The log every version 2 head must belong to (`LEDGER_ORIGIN`); a head of another log is a finding. */
  origin?: string
  /** The ledger's leaves from leaf 0, in order. */
  reference?: AsyncIterable<ReferenceLeaf> | Iterable<ReferenceLeaf>
  /** Stop keeping findings after this many (default 50); the count goes on. */
  maxFindings?: number
}

export interface ReplayResult {
  ok: boolean
  findings: Finding[]
  /** Findings in all, kept or not. */
  findingCount: number
  events: number
  streams: number
  leaves: bigint
  /** Leaves compared with the reference. */
  compared: bigint
  /** Leaves the reference held. */
  referenceLeaves: bigint
  /** Heads whose signature and root checked out, largest last. */
  verifiedHeads: HeadToCheck[]
  /** Heads not checked: signed by a key we were not given. */
  skippedHeads: HeadToCheck[]
  root: string
  /** Root over all the reference's leaves (audits compare it with the stored nodes). */
  referenceRoot: string
  referenceFrontier: Frontier
}

interface PendingHead extends HeadToCheck {
  size: bigint
}

/**
 * Replays a log against the ledger: the check behind `cli audit` (live store against the ledger tables) and
 * `cli verify` (an export against its head and leaves files). Feed events in delivery order; it
 * - checks every per-stream hash chain,
 * - rebuilds the Merkle tree from the events' hashes (leaving out `ledger-checkpoints`, as the projection does),
 * - compares each leaf with the ledger's record of that leaf (the `reference`), when there is one,
 * - checks every signed head: its signature, and that its root is the rebuilt tree's root at its size (and the
 *   reference's root too, which tells a ledger table edited behind the heads' back).
 * Memory is one hash per stream plus two frontiers (log2(n) hashes each): the log is never held whole.
 *
 * Findings are kept in the order they are met in the log, so the first one is the earliest divergence.
 *
 * @example
 * const replay = new LedgerReplay({ heads, keys, reference: readLeaves(db) })
 * for await (const event of store.readAll()) await replay.add(event)
 * const result = await replay.finish()
 * if (!result.ok) console.error(describeFinding(result.findings[0]!))
 */
export class LedgerReplay {
  readonly #chains = new ChainVerifier()
  readonly #findings: Finding[] = []
  #findingCount = 0
  readonly #maxFindings: number
  readonly #heads: PendingHead[]
  #nextHead = 0
  readonly #verified: HeadToCheck[] = []
  readonly #skipped: HeadToCheck[] = []
  readonly #reference: AsyncIterator<ReferenceLeaf> | Iterator<ReferenceLeaf> | undefined
  #referenceDone: boolean
  #referenceLeaves = 0n
  #referenceFrontier: Frontier = EMPTY_FRONTIER
  #frontier: Frontier = EMPTY_FRONTIER
  #compared = 0n
  #ordinal = 0
  #firstSinceHead: EventRef | undefined
  #lastHeadSize = 0n
  /** The first leaf mismatch, while we look for its two events elsewhere to tell what happened. */
  #watch: { finding: Extract<Finding, { kind: 'leaf_mismatch' }>; expectedInLog: boolean; actualInLedger: boolean } | undefined

  constructor(options: ReplayOptions = {}) {
    this.#maxFindings = options.maxFindings ?? 50
    const reference = options.reference
    this.#reference = reference
      ? Symbol.asyncIterator in reference
        ? reference[Symbol.asyncIterator]()
        : reference[Symbol.iterator]()
      : undefined
    this.#referenceDone = reference === undefined
    const keys = options.keys ?? new Map<string, KeyObject>()
    const seen = new Set<string>()
    const heads: PendingHead[] = []
    for (const candidate of options.heads ?? []) {
      const { head } = candidate
      const id = `${head.treeSize}:${head.rootHash}:${head.timestamp}:${head.signature}`
      if (seen.has(id)) continue
      seen.add(id)
      const key = keys.get(head.keyId)
      if (!key) {
        if (options.requireKnownKey?.(candidate)) this.#add({ kind: 'head_signature', head: candidate, detail: `signed by key ${head.keyId}, which is not a known ledger key` })
        else this.#skipped.push(candidate)
        continue
      }
      const check = verifyTreeHead(head, key, options.origin === undefined ? {} : { origin: options.origin })
      if (!check.ok) {
        this.#add({ kind: 'head_signature', head: candidate, detail: check.detail })
        continue
      }
      const retired = outOfPeriod(head, options.retiredAt?.get(head.keyId))
      if (retired) {
        this.#add({ kind: 'head_signature', head: candidate, detail: retired })
        continue
      }
      heads.push({ ...candidate, size: BigInt(head.treeSize) })
    }
    this.#heads = heads.sort((a, b) => (a.size < b.size ? -1 : a.size > b.size ? 1 : 0))
  }

  /** Replays the next event of the log (delivery order). */
  async add(event: ReplayEvent): Promise<void> {
    const ordinal = this.#ordinal++
    if (this.#watch && event.eventId === this.#watch.finding.expected.eventId) this.#watch.expectedInLog = true
    const failure = this.#chains.check(event)
    if (failure) this.#add({ kind: 'chain', ordinal, failure, position: event.position })
    if (event.streamId === LEDGER_CHECKPOINT_STREAM) return

    const hash = event.metadata.hash
    // A malformed hash is already a chain finding; the leaf still takes a place so later leaves line up.
    const input = isHashHex(hash) ? leafInputOfEventHash(hash) : new TextEncoder().encode(JSON.stringify(hash ?? null))
    const appended = appendLeaf(this.#frontier, input)
    this.#frontier = appended.frontier
    const actual: EventRef = { eventId: event.eventId, streamId: event.streamId, revision: event.revision, position: event.position }
    this.#firstSinceHead ??= actual

    const expected = await this.#nextReference()
    if (expected) {
      this.#compared++
      if (expected.eventId !== event.eventId || !equal(expected.leafHash, appended.leafHash)) {
        const finding: Finding = {
          kind: 'leaf_mismatch',
          ordinal,
          leafIndex: appended.leafIndex,
          actual,
          expected,
          cause: expected.eventId === event.eventId ? 'altered' : 'unknown',
        }
        this.#add(finding)
        this.#watch ??= { finding, expectedInLog: false, actualInLedger: false }
      }
    }
    this.#checkHeadsAt(this.#frontier.size, ordinal, actual)
  }

  /** Ends the replay: the reference's leftover leaves and heads beyond the log are findings. */
  async finish(): Promise<ReplayResult> {
    const leaves = this.#frontier.size
    const leftover = await this.#nextReference()
    if (leftover) this.#add({ kind: 'leaf_missing', leafIndex: leftover.leafIndex, expected: leftover })
    const beyond = this.#heads.slice(this.#nextHead)
    this.#nextHead = this.#heads.length
    for (const head of beyond) this.#add({ kind: 'head_beyond_log', head, leaves, firstMissing: leftover })
    // Drain the reference, so its root covers all of it (audits compare that with the stored nodes) and the heads
    // beyond the log are still checked against it.
    let h = 0
    for (let more = leftover !== undefined; ; more = (await this.#nextReference()) !== undefined) {
      for (; h < beyond.length && beyond[h]!.size <= this.#referenceFrontier.size; h++) this.#checkReferenceRoot(beyond[h]!)
      if (!more) break
    }
    if (this.#watch?.finding.cause === 'unknown') {
      const { finding, expectedInLog, actualInLedger } = this.#watch
      // Events before the mismatch were compared one by one, so "elsewhere" means later in the other sequence.
      finding.cause = expectedInLog
        ? actualInLedger
          ? 'moved'
          : 'inserted'
        : actualInLedger
          ? 'deleted'
          : 'replaced'
    }
    return {
      ok: this.#findingCount === 0,
      findings: [...this.#findings],
      findingCount: this.#findingCount,
      events: this.#ordinal,
      streams: this.#chains.streams,
      leaves,
      compared: this.#compared,
      referenceLeaves: this.#referenceLeaves,
      verifiedHeads: [...this.#verified],
      skippedHeads: [...this.#skipped],
      root: toHex(frontierRoot(this.#frontier)),
      referenceRoot: toHex(frontierRoot(this.#referenceFrontier)),
      referenceFrontier: this.#referenceFrontier,
    }
  }

  #checkHeadsAt(size: bigint, ordinal: number, last: EventRef): void {
    for (; this.#nextHead < this.#heads.length && this.#heads[this.#nextHead]!.size <= size; this.#nextHead++) {
      const head = this.#heads[this.#nextHead]!
      if (head.size === 0n) {
        // Size 0 is never signed by the ledger, but a head for it is still checkable.
        const empty = toHex(frontierRoot(EMPTY_FRONTIER))
        if (head.head.rootHash !== empty) {
          this.#add({ kind: 'head_root', ordinal, head, actualRoot: empty, first: undefined, last, since: 0n, ledgerAgrees: false })
        }
        continue
      }
      const actualRoot = toHex(frontierRoot(this.#frontier))
      const ledgerRoot = this.#referenceFrontier.size === head.size ? toHex(frontierRoot(this.#referenceFrontier)) : undefined
      const ledgerMatches = ledgerRoot === undefined ? undefined : ledgerRoot === head.head.rootHash
      const watched = this.#watch?.finding
      if (watched && !watched.arbiter && head.size > watched.leafIndex) {
        watched.arbiter = { treeSize: head.head.treeSize, logMatches: actualRoot === head.head.rootHash, ledgerMatches }
      }
      if (actualRoot === head.head.rootHash) {
        this.#verified.push(head)
        // The log is what the head says: if the ledger's record is not, the ledger's tables were edited.
        if (ledgerMatches === false) this.#add({ kind: 'reference_root', head, referenceRoot: ledgerRoot! })
      } else {
        this.#add({
          kind: 'head_root',
          ordinal,
          head,
          actualRoot,
          first: this.#firstSinceHead,
          last,
          since: this.#lastHeadSize,
          ledgerAgrees: ledgerRoot === actualRoot,
        })
      }
      this.#lastHeadSize = size
      this.#firstSinceHead = undefined
    }
  }

  /** When the reference has exactly the head's size, its root must be the head's too. Undefined: not comparable. */
  #checkReferenceRoot(head: PendingHead): boolean | undefined {
    if (this.#referenceFrontier.size !== head.size) return undefined
    const referenceRoot = toHex(frontierRoot(this.#referenceFrontier))
    if (referenceRoot === head.head.rootHash) return true
    this.#add({ kind: 'reference_root', head, referenceRoot })
    return false
  }

  async #nextReference(): Promise<ReferenceLeaf | undefined> {
    if (this.#referenceDone || !this.#reference) return undefined
    const next = await this.#reference.next()
    if (next.done) {
      this.#referenceDone = true
      return undefined
    }
    const leaf = next.value
    if (leaf.leafIndex !== this.#referenceLeaves) {
      throw new Error(`ledger reference: expected leaf ${this.#referenceLeaves}, got leaf ${leaf.leafIndex}`)
    }
    this.#referenceLeaves++
    this.#referenceFrontier = appendRaw(this.#referenceFrontier, leaf.leafHash)
    if (this.#watch && leaf.eventId === this.#watch.finding.actual.eventId) this.#watch.actualInLedger = true
    return leaf
  }

  #add(finding: Finding): void {
    this.#findingCount++
    if (this.#findings.length < this.#maxFindings) this.#findings.push(finding)
  }
}

/**
 * Why a head falls outside its key's period, or undefined when it does not: a head dated after the key was retired
 * (`cli rotate-signing-key`) was not signed by this ledger, whatever its signature says.
 *
 * @example
 * outOfPeriod(head, '2026-03-01T00:00:00.000Z') // 'dated 2026-03-02T…, after its key … was retired at 2026-03-01T…'
 */
export function outOfPeriod(head: SignedTreeHead, retiredAt: string | null | undefined): string | undefined {
  if (retiredAt === null || retiredAt === undefined) return undefined
  if (Date.parse(head.timestamp) <= Date.parse(retiredAt)) return undefined
  return `dated ${head.timestamp}, after its key ${head.keyId} was retired at ${retiredAt}`
}

/** Appends an already-hashed leaf to a frontier (the reference carries leaf hashes, not event hashes). */
function appendRaw(frontier: Frontier, leaf: Hash): Frontier {
  // appendLeaf hashes its input as a leaf; folding by hand keeps the reference's own leaf hashes.
  const hashes = [...frontier.hashes]
  let hash = leaf
  let index = frontier.size
  while ((index & 1n) === 1n) {
    const left = hashes.pop()!
    hash = nodeHash(left, hash)
    index >>= 1n
  }
  hashes.push(hash)
  return { size: frontier.size + 1n, hashes }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0
}

/** Leaf hash of an event hash (what the reference stores for a leaf). */
export function leafHashOfEvent(eventHash: string): Hash {
  return leafHash(leafInputOfEventHash(eventHash))
}

function ref(e: EventRef): string {
  return `${e.streamId}@${e.revision}${e.position === undefined ? '' : `, position ${e.position}`}`
}

function headName(h: HeadToCheck): string {
  return `signed head of tree size ${h.head.treeSize} (${h.source})`
}

/**
 * One line saying what is wrong, naming the event.
 *
 * @example
 * describeFinding(result.findings[0]!)
 * // 'event 3f…: case-1@2, position 17: hash_mismatch: stored hash … but the content hashes to …'
 */
export function describeFinding(f: Finding): string {
  switch (f.kind) {
    case 'chain':
      return `event ${f.failure.eventId} (${f.failure.streamId}@${f.failure.revision}, position ${f.position}): ${f.failure.problem}: ${f.failure.detail.replace(/^.*?\): /, '')}`
    case 'leaf_mismatch':
      return describeLeafMismatch(f)
    case 'leaf_missing':
      return `event ${f.expected.eventId} (${ref(f.expected)}) is leaf ${f.leafIndex} of the ledger but the log ends before it: it was deleted`
    case 'head_signature':
      return `${headName(f.head)}: ${f.detail}`
    case 'head_root': {
      const range = f.first ? `events ${f.first.eventId} (${ref(f.first)}) to ${f.last.eventId} (${ref(f.last)})` : `event ${f.last.eventId}`
      if (f.ledgerAgrees) {
        return (
          `${headName(f.head)} has root ${f.head.head.rootHash} but the log and the ledger's record both give ${f.actualRoot}: ` +
          `history among leaves ${f.since}..${BigInt(f.head.head.treeSize) - 1n} was rewritten in both, or the head is not from this ledger (${range})`
        )
      }
      return (
        `${headName(f.head)} has root ${f.head.head.rootHash} but the log gives ${f.actualRoot}: ` +
        `leaves ${f.since}..${BigInt(f.head.head.treeSize) - 1n} were altered (${range})`
      )
    }
    case 'reference_root':
      return `${headName(f.head)} has root ${f.head.head.rootHash} but the ledger's recorded leaves give ${f.referenceRoot}: the ledger's leaves were altered`
    case 'head_beyond_log':
      return (
        `${headName(f.head)} covers more events than the log's ${f.leaves} leaves: events were deleted` +
        (f.firstMissing ? `, starting with event ${f.firstMissing.eventId} (${ref(f.firstMissing)})` : '')
      )
    case 'stored_nodes':
      return `the ledger's stored nodes give root ${f.storedRoot} at tree size ${f.treeSize} but its leaves give ${f.leavesRoot}: ledger_nodes was altered`
  }
}

function describeLeafMismatch(f: Extract<Finding, { kind: 'leaf_mismatch' }>): string {
  const actual = `event ${f.actual.eventId} (${ref(f.actual)})`
  const expected = `event ${f.expected.eventId} (${ref(f.expected)})`
  const a = f.arbiter
  if (a && a.logMatches && a.ledgerMatches === false) {
    return (
      `the ledger's stored leaf ${f.leafIndex} was altered: it records ${expected}, but the log has ${actual} ` +
      `there and the signed head of tree size ${a.treeSize} agrees with the log`
    )
  }
  const confirmed = a?.ledgerMatches ? `; the signed head of tree size ${a.treeSize} confirms the ledger's record` : ''
  switch (f.cause) {
    case 'deleted':
      return `${expected} was deleted: the ledger recorded it as leaf ${f.leafIndex}, the log no longer has it (${actual} is there now)${confirmed}`
    case 'inserted':
      return `${actual} was inserted: it is leaf ${f.leafIndex} of the log but not in the ledger, which recorded ${expected} there${confirmed}`
    case 'moved':
      return `${actual} was moved: it is leaf ${f.leafIndex} of the log, but the ledger recorded ${expected} there (events reordered)${confirmed}`
    case 'replaced':
      return `${expected} was replaced by ${actual}: the ledger recorded the first as leaf ${f.leafIndex}, the log has the second there and not the first anywhere${confirmed}`
    case 'altered':
      return `${actual} was altered and re-hashed: it is leaf ${f.leafIndex} as the ledger recorded, but with another hash${confirmed}`
    case 'unknown':
      return `${actual} is leaf ${f.leafIndex} of the log, but the ledger recorded ${expected} there: events were inserted, deleted or moved here${confirmed}`
  }
}
