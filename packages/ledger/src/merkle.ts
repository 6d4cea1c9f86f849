import { createHash } from 'node:crypto'
import { sha256Digest } from './digest.js'

/**
 * RFC 6962 §2.1 Merkle tree over all events in global position order (DESIGN §6).
 *
 * Conventions:
 * - Tree sizes and leaf indexes are `bigint` at every boundary (they count events, like positions).
 *   Levels are small `number`s (0 = leaves, at most 63).
 * - Hashes are 32-byte `Uint8Array`s in the core. Verifiers also take lowercase/uppercase hex strings, because
 *   what they check usually arrived as JSON; a malformed hash makes a proof fail, never throw.
 * - A leaf's INPUT is the 32 bytes of the event hash (`leafInputOfEventHash`); the RFC's leaf hash
 *   SHA-256(0x00 ‖ input) is what the tree stores. Raw inputs of any length are accepted so the RFC test
 *   vectors can be reproduced.
 *
 * Proof generation is written against `SubtreeSource`, an abstract store of PERFECT subtree hashes:
 * `perfect(level, i)` is the root of leaves [i·2^level, (i+1)·2^level). Every node a proof, a root or a
 * consistency check needs is either one perfect subtree or — only along the right edge of the tree — the
 * fold of at most log2(n) of them, so a PostgreSQL-backed source answers any proof with O(log n) point reads
 * (one batched query if it implements `perfectMany`). `appendLeaf` yields exactly the perfect subtrees an
 * append completes (2 on average), which is all such a store has to write.
 */

export const HASH_SIZE = 32

export type Hash = Uint8Array

/** A hash as a verifier accepts it: 32 bytes, or 64 hex characters. */
export type HashInput = Uint8Array | string

/** Address of a perfect subtree: the root of leaves [index·2^level, (index+1)·2^level). */
export interface PerfectRef {
  level: number
  index: bigint
}

/** A perfect subtree with its hash: what a persistent tree stores, keyed by (level, index). */
export interface PerfectNode extends PerfectRef {
  hash: Hash
}

/**
 * Where proof generation reads perfect-subtree hashes from. Implementations throw when asked for a subtree
 * that is not complete yet.
 *
 * @example
 * // PostgreSQL: SELECT hash FROM ledger_nodes WHERE (level, index) IN (...)
 * const source: SubtreeSource = { perfect: (level, index) => readNode(db, level, index) }
 * const proof = await proveInclusion(source, 41n, 1000n)
 */
export interface SubtreeSource {
  perfect(level: number, index: bigint): Promise<Hash>
  /** Optional batch read, in the order of `refs`; used instead of `perfect` when present. */
  perfectMany?(refs: readonly PerfectRef[]): Promise<Hash[]>
}

// ---------------------------------------------------------------------------------------------------------
// Hashing primitives (RFC 6962 §2.1)

function sha256(...parts: Uint8Array[]): Hash {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return h.digest()
}

const LEAF_PREFIX = Uint8Array.of(0x00)
const NODE_PREFIX = Uint8Array.of(0x01)

/** MTH({}) = SHA-256 of nothing: e3b0c442…b855. */
export const EMPTY_ROOT: Hash = sha256()

// Scratch space for the prefixed input of a leaf or node hash: rebuilding a tree hashes twice per leaf, and one
// one-shot digest over a reused buffer is much cheaper than a Hash object with three updates.
const scratch = Buffer.alloc(1 + 2 * HASH_SIZE)

/** MTH({d}) = SHA-256(0x00 ‖ d). */
export function leafHash(leafInput: Uint8Array): Hash {
  if (leafInput.byteLength > 2 * HASH_SIZE) return sha256(LEAF_PREFIX, leafInput)
  scratch[0] = 0x00
  scratch.set(leafInput, 1)
  return sha256Digest(scratch.subarray(0, 1 + leafInput.byteLength))
}

/** Interior node: SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Hash {
  if (left.byteLength !== HASH_SIZE || right.byteLength !== HASH_SIZE) return sha256(NODE_PREFIX, left, right)
  scratch[0] = 0x01
  scratch.set(left, 1)
  scratch.set(right, 1 + HASH_SIZE)
  return sha256Digest(scratch)
}

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/

/** Lowercase hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** Bytes of a hex string; throws TypeError on anything but an even number of hex digits. */
export function fromHex(hex: string): Uint8Array {
  if (!HEX_RE.test(hex)) throw new TypeError(`not a hex string: ${hex.slice(0, 80)}`)
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

const EVENT_HASH_RE = /^[0-9a-f]{64}$/

/** The leaf input for an event: the 32 bytes of its hex `metadata.hash`. */
export function leafInputOfEventHash(eventHash: string): Uint8Array {
  if (!EVENT_HASH_RE.test(eventHash)) throw new TypeError(`not an event hash (64 lowercase hex): ${eventHash}`)
  // Checked above, so Buffer.from decodes all of it; a Buffer is a Uint8Array, no copy needed.
  return Buffer.from(eventHash, 'hex')
}

function asHash(h: HashInput): Hash | undefined {
  if (typeof h === 'string') return /^[0-9a-fA-F]{64}$/.test(h) ? fromHex(h) : undefined
  return h instanceof Uint8Array && h.byteLength === HASH_SIZE ? h : undefined
}

function equalHash(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0
}

// ---------------------------------------------------------------------------------------------------------
// Tree arithmetic

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length
}

/** The k of RFC 6962: the largest power of two strictly smaller than n (n ≥ 2). */
function splitPoint(n: bigint): bigint {
  return 1n << BigInt(bitLength(n - 1n) - 1)
}

function isPowerOfTwo(n: bigint): boolean {
  return n > 0n && (n & (n - 1n)) === 0n
}

/**
 * A node as the list of perfect subtrees whose right fold is its hash (left to right, largest first).
 * One ref = a perfect subtree; more = a right-edge subtree [start, n).
 */
export type NodeSpec = readonly PerfectRef[]

/**
 * MTH(D[start:end]) for a range the RFC recursion produces: `start` is a multiple of a power of two ≥ the
 * range's size, so RFC 6962's "largest power of two below" split is exactly the binary decomposition of
 * end - start, and the hash is the right fold of those perfect subtrees.
 */
function subtreeSpec(start: bigint, end: bigint): NodeSpec {
  const refs: PerfectRef[] = []
  let at = start
  let remaining = end - start
  while (remaining > 0n) {
    const level = bitLength(remaining) - 1
    refs.push({ level, index: at >> BigInt(level) })
    at += 1n << BigInt(level)
    remaining -= 1n << BigInt(level)
  }
  return refs
}

function foldSpec(spec: NodeSpec, hashes: readonly Hash[]): Hash {
  let acc = hashes[hashes.length - 1]
  if (acc === undefined || hashes.length !== spec.length) throw new Error('ledger: empty or mismatched node spec')
  for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHash(hashes[i] as Hash, acc)
  return acc
}

function checkSize(name: string, n: bigint): void {
  checkBigint(name, n)
  if (n < 0n) throw new RangeError(`${name} must not be negative, got ${n}`)
}

// Verifiers throw only on a programming error (a number where a bigint belongs); bad values just fail.
function checkBigint(name: string, n: bigint): void {
  if (typeof n !== 'bigint') throw new TypeError(`${name} must be a bigint, got ${typeof n}`)
}

/** What to read for the root of a tree of `treeSize` leaves (empty for the empty tree). */
export function rootPlan(treeSize: bigint): NodeSpec {
  checkSize('treeSize', treeSize)
  return subtreeSpec(0n, treeSize)
}

/** RFC 6962 §2.1.1 PATH(m, D[n]) as node specs, ordered from the leaf's sibling up to the root's child. */
export function inclusionPlan(leafIndex: bigint, treeSize: bigint): NodeSpec[] {
  checkSize('leafIndex', leafIndex)
  checkSize('treeSize', treeSize)
  if (leafIndex >= treeSize) throw new RangeError(`leaf index ${leafIndex} is not in a tree of size ${treeSize}`)
  const path: NodeSpec[] = []
  const walk = (start: bigint, end: bigint): void => {
    if (end - start === 1n) return
    const k = start + splitPoint(end - start)
    if (leafIndex < k) {
      walk(start, k)
      path.push(subtreeSpec(k, end))
    } else {
      walk(k, end)
      path.push(subtreeSpec(start, k))
    }
  }
  walk(0n, treeSize)
  return path
}

/**
 * RFC 6962 §2.1.2 PROOF(m, D[n]) = SUBPROOF(m, D[n], true) as node specs. Empty when m = n or m = 0
 * (the RFC defines proofs for 0 < m < n; those two cases are trivially consistent and need no nodes).
 */
export function consistencyPlan(from: bigint, to: bigint): NodeSpec[] {
  checkSize('from', from)
  checkSize('to', to)
  if (from > to) throw new RangeError(`no consistency proof from size ${from} to the smaller size ${to}`)
  if (from === 0n || from === to) return []
  const proof: NodeSpec[] = []
  const sub = (start: bigint, end: bigint, complete: boolean): void => {
    if (from === end) {
      if (!complete) proof.push(subtreeSpec(start, end))
      return
    }
    const k = start + splitPoint(end - start)
    if (from <= k) {
      sub(start, k, complete)
      proof.push(subtreeSpec(k, end))
    } else {
      sub(k, end, false)
      proof.push(subtreeSpec(start, k))
    }
  }
  sub(0n, to, true)
  return proof
}

// ---------------------------------------------------------------------------------------------------------
// Proof generation over a SubtreeSource

async function resolve(source: SubtreeSource, specs: readonly NodeSpec[]): Promise<Hash[]> {
  const refs = specs.flat()
  const hashes = source.perfectMany
    ? await source.perfectMany(refs)
    : await Promise.all(refs.map((r) => source.perfect(r.level, r.index)))
  if (hashes.length !== refs.length) throw new Error(`ledger: source returned ${hashes.length} hashes for ${refs.length} nodes`)
  hashes.forEach((h, i) => {
    if (!(h instanceof Uint8Array) || h.byteLength !== HASH_SIZE) {
      const r = refs[i] as PerfectRef
      throw new Error(`ledger: source returned a malformed hash for node (${r.level}, ${r.index})`)
    }
  })
  let at = 0
  return specs.map((spec) => foldSpec(spec, hashes.slice(at, (at += spec.length))))
}

/**
 * The root hash of the first `treeSize` leaves.
 *
 * @example
 * const root = await treeRoot(source, 1000n)
 */
export async function treeRoot(source: SubtreeSource, treeSize: bigint): Promise<Hash> {
  const spec = rootPlan(treeSize)
  if (spec.length === 0) return EMPTY_ROOT
  const [root] = await resolve(source, [spec])
  return root as Hash
}

/**
 * Audit path for leaf `leafIndex` in the tree of the first `treeSize` leaves (RFC 6962 §2.1.1).
 *
 * @example
 * const auditPath = (await proveInclusion(source, 41n, 1000n)).map(toHex)
 */
export async function proveInclusion(source: SubtreeSource, leafIndex: bigint, treeSize: bigint): Promise<Hash[]> {
  return resolve(source, inclusionPlan(leafIndex, treeSize))
}

/**
 * Consistency proof between the trees of the first `from` and first `to` leaves (RFC 6962 §2.1.2).
 *
 * @example
 * const proof = (await proveConsistency(source, 500n, 1000n)).map(toHex)
 */
export async function proveConsistency(source: SubtreeSource, from: bigint, to: bigint): Promise<Hash[]> {
  return resolve(source, consistencyPlan(from, to))
}

// ---------------------------------------------------------------------------------------------------------
// Incremental append

/**
 * The right edge of a tree: the perfect subtrees of the binary decomposition of `size`, left to right
 * (largest first). Enough to append and to compute the current root; O(log n) hashes.
 */
export interface Frontier {
  readonly size: bigint
  readonly hashes: readonly Hash[]
}

export const EMPTY_FRONTIER: Frontier = Object.freeze({ size: 0n, hashes: Object.freeze([]) as readonly Hash[] })

export interface AppendLeafResult {
  frontier: Frontier
  /** The new leaf's index (the old size). */
  leafIndex: bigint
  /** SHA-256(0x00 ‖ input). */
  leafHash: Hash
  /**
   * Perfect subtrees this append completed, lowest level first: always the leaf (level 0), plus one per
   * level the new leaf closes. What a persistent tree must store; amortised 2 per append.
   */
  completed: PerfectNode[]
}

/**
 * Appends one leaf to a frontier. Pure: the input frontier is not modified.
 *
 * @example
 * let frontier = await loadFrontier(source, storedSize)
 * const { frontier: next, completed } = appendLeaf(frontier, leafInputOfEventHash(event.metadata.hash))
 * await insertNodes(trx, completed) // (level, index) → hash
 */
export function appendLeaf(frontier: Frontier, leafInput: Uint8Array): AppendLeafResult {
  const leafIndex = frontier.size
  const leaf = leafHash(leafInput)
  const hashes = [...frontier.hashes]
  const completed: PerfectNode[] = [{ level: 0, index: leafIndex, hash: leaf }]
  let hash = leaf
  let level = 0
  let index = leafIndex
  // Each trailing 1 bit of the old size is a perfect subtree the new leaf's subtree now pairs with.
  while ((index & 1n) === 1n) {
    const left = hashes.pop()
    if (left === undefined) throw new Error('ledger: frontier does not match its size')
    hash = nodeHash(left, hash)
    level += 1
    index >>= 1n
    completed.push({ level, index, hash })
  }
  hashes.push(hash)
  return { frontier: { size: leafIndex + 1n, hashes }, leafIndex, leafHash: leaf, completed }
}

/** Root hash of the tree a frontier is the right edge of. */
export function frontierRoot(frontier: Frontier): Hash {
  if (frontier.size === 0n) return EMPTY_ROOT
  return foldSpec(rootPlan(frontier.size), [...frontier.hashes])
}

/** Reads the frontier of the first `size` leaves from a source (to resume appending after a restart). */
export async function loadFrontier(source: SubtreeSource, size: bigint): Promise<Frontier> {
  // Each perfect subtree of the decomposition is its own one-ref spec, so nothing gets folded.
  const hashes = await resolve(source, rootPlan(size).map((ref) => [ref]))
  return { size, hashes }
}

// ---------------------------------------------------------------------------------------------------------
// In-memory tree

/**
 * A whole tree in memory: every perfect subtree, level by level. For the offline verifier, tests, and
 * anywhere the log fits in memory (leaf indexes must stay below 2^53 here; the API is still bigint).
 *
 * @example
 * const tree = new MemoryMerkleTree()
 * for (const e of events) tree.append(leafInputOfEventHash(e.metadata.hash))
 * const ok = verifyInclusion({ leafIndex: 3n, treeSize: tree.size, leafHash: tree.leafHash(3n),
 *   auditPath: tree.inclusionProof(3n), rootHash: tree.root() })
 */
export class MemoryMerkleTree implements SubtreeSource {
  readonly #levels: Hash[][] = []
  #frontier: Frontier = EMPTY_FRONTIER

  get size(): bigint {
    return this.#frontier.size
  }

  /** Appends a leaf input (an event hash's 32 bytes, or raw data in tests); returns its leaf index. */
  append(leafInput: Uint8Array): bigint {
    const result = appendLeaf(this.#frontier, leafInput)
    for (const node of result.completed) (this.#levels[node.level] ??= []).push(node.hash)
    this.#frontier = result.frontier
    return result.leafIndex
  }

  /** The hash stored for leaf `index` (SHA-256(0x00 ‖ input)). */
  leafHash(index: bigint): Hash {
    return this.perfectSync(0, index)
  }

  /** Root of the first `size` leaves (default: all). */
  root(size: bigint = this.size): Hash {
    this.#checkWithin(size)
    const spec = rootPlan(size)
    return spec.length === 0 ? EMPTY_ROOT : this.#fold(spec)
  }

  inclusionProof(leafIndex: bigint, treeSize: bigint = this.size): Hash[] {
    this.#checkWithin(treeSize)
    return inclusionPlan(leafIndex, treeSize).map((spec) => this.#fold(spec))
  }

  consistencyProof(from: bigint, to: bigint = this.size): Hash[] {
    this.#checkWithin(to)
    return consistencyPlan(from, to).map((spec) => this.#fold(spec))
  }

  perfectSync(level: number, index: bigint): Hash {
    const hash = index >= 0n && index <= BigInt(Number.MAX_SAFE_INTEGER) ? this.#levels[level]?.[Number(index)] : undefined
    if (hash === undefined) throw new RangeError(`perfect subtree (${level}, ${index}) is not complete in a tree of ${this.size}`)
    return hash
  }

  async perfect(level: number, index: bigint): Promise<Hash> {
    return this.perfectSync(level, index)
  }

  get frontier(): Frontier {
    return this.#frontier
  }

  #fold(spec: NodeSpec): Hash {
    return foldSpec(spec, spec.map((r) => this.perfectSync(r.level, r.index)))
  }

  #checkWithin(size: bigint): void {
    checkSize('treeSize', size)
    if (size > this.size) throw new RangeError(`tree size ${size} exceeds the ${this.size} leaves appended`)
  }
}

// ---------------------------------------------------------------------------------------------------------
// Verifiers (RFC 9162 §2.1.3.2 and §2.1.4.2: they bound the path length by the sizes, so an extended,
// truncated or reshuffled proof fails — unlike the verifier in GHSA-672p-m5jq-mrh8)

/**
 * An inclusion proof to check. Sizes may be bigints or decimal strings, so the JSON of
 * `GET /v1/ledger/proofs/inclusion` can be passed as it is.
 */
export interface InclusionProof {
  leafIndex: bigint | string
  treeSize: bigint | string
  leafHash: HashInput
  auditPath: readonly HashInput[]
  rootHash: HashInput
}

const DECIMAL_RE = /^(?:0|[1-9][0-9]*)$/

/** A size from untrusted input: a non-negative bigint or a decimal string, else undefined. */
function asSize(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value >= 0n ? value : undefined
  return typeof value === 'string' && DECIMAL_RE.test(value) ? BigInt(value) : undefined
}

/** `record[key]` of what may be anything (a proof parsed from a file or a response). */
function field(record: unknown, key: string): unknown {
  return record !== null && typeof record === 'object' ? (record as Record<string, unknown>)[key] : undefined
}

/**
 * The root an audit path leads to, or `undefined` when the path cannot be a proof for these sizes
 * (wrong length, malformed hash, index out of range) or the proof is not shaped like one at all (a missing or
 * non-array path, a size that is not a bigint or decimal string): proofs come from files and networks.
 */
export function rootFromInclusionProof(p: Omit<InclusionProof, 'rootHash'>): Hash | undefined {
  const leafIndex = asSize(field(p, 'leafIndex'))
  const treeSize = asSize(field(p, 'treeSize'))
  const auditPath = field(p, 'auditPath')
  if (leafIndex === undefined || treeSize === undefined || !Array.isArray(auditPath)) return undefined
  if (leafIndex >= treeSize) return undefined
  let r = asHash(field(p, 'leafHash') as HashInput)
  if (r === undefined) return undefined
  let fn = leafIndex
  let sn = treeSize - 1n
  for (const element of auditPath as unknown[]) {
    const h = asHash(element as HashInput)
    if (h === undefined || sn === 0n) return undefined
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(h, r)
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n
        sn >>= 1n
      }
    } else {
      r = nodeHash(r, h)
    }
    fn >>= 1n
    sn >>= 1n
  }
  return sn === 0n ? r : undefined
}

/**
 * RFC 9162 §2.1.3.2: does `auditPath` prove that `leafHash` is leaf `leafIndex` of the tree with
 * `rootHash` and `treeSize` leaves? Anything not shaped like a proof is `false`, never an exception.
 *
 * @example
 * verifyInclusion({ leafIndex: 41n, treeSize: 1000n, leafHash, auditPath, rootHash: head.rootHash })
 * verifyInclusion(await (await fetch(proofUrl)).json()) // the response as it is
 */
export function verifyInclusion(p: InclusionProof): boolean {
  const root = asHash(field(p, 'rootHash') as HashInput)
  const computed = rootFromInclusionProof(p)
  return root !== undefined && computed !== undefined && equalHash(root, computed)
}

/** A consistency proof to check; sizes as bigints or decimal strings (see `InclusionProof`). */
export interface ConsistencyProof {
  from: bigint | string
  to: bigint | string
  fromRoot: HashInput
  toRoot: HashInput
  proof: readonly HashInput[]
}

/**
 * RFC 9162 §2.1.4.2: is the tree (`to`, `toRoot`) an append-only extension of (`from`, `fromRoot`)?
 * Sizes equal: the proof must be empty and the roots equal. `from` = 0: the proof must be empty and
 * `fromRoot` must be the empty tree's root (stricter than the RFC, which leaves that case to the caller).
 * Anything not shaped like a proof (a missing or non-array `proof`, a bad size) is `false`, never an exception.
 *
 * @example
 * verifyConsistency({ from: 500n, to: 1000n, fromRoot: oldHead.rootHash, toRoot: newHead.rootHash, proof })
 */
export function verifyConsistency(p: ConsistencyProof): boolean {
  const from = asSize(field(p, 'from'))
  const to = asSize(field(p, 'to'))
  const proof = field(p, 'proof')
  const fromRoot = asHash(field(p, 'fromRoot') as HashInput)
  const toRoot = asHash(field(p, 'toRoot') as HashInput)
  if (from === undefined || to === undefined || !Array.isArray(proof)) return false
  if (fromRoot === undefined || toRoot === undefined || from > to) return false
  if (from === to) return proof.length === 0 && equalHash(fromRoot, toRoot)
  if (from === 0n) return proof.length === 0 && equalHash(fromRoot, EMPTY_ROOT)
  if (proof.length === 0) return false

  const path: Hash[] = []
  for (const element of proof as unknown[]) {
    const h = asHash(element as HashInput)
    if (h === undefined) return false
    path.push(h)
  }
  if (isPowerOfTwo(from)) path.unshift(fromRoot)

  let fn = from - 1n
  let sn = to - 1n
  while ((fn & 1n) === 1n) {
    fn >>= 1n
    sn >>= 1n
  }
  let fr = path[0] as Hash
  let sr = fr
  for (const c of path.slice(1)) {
    if (sn === 0n) return false
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr)
      sr = nodeHash(c, sr)
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n
        sn >>= 1n
      }
    } else {
      sr = nodeHash(sr, c)
    }
    fn >>= 1n
    sn >>= 1n
  }
  return sn === 0n && equalHash(fr, fromRoot) && equalHash(sr, toRoot)
}
