import t from 'tap'
import fc from 'fast-check'
import { createHash } from 'node:crypto'
import {
  MemoryMerkleTree,
  appendLeaf,
  frontierRoot,
  proveConsistency,
  proveInclusion,
  toHex,
  verifyConsistency,
  verifyInclusion,
  type Frontier,
  EMPTY_FRONTIER,
} from '../src/index.js'

// Random trees up to 2,000 leaves. Each run checks ~25 sampled sizes: every inclusion proof for sampled
// leaves and every consistency proof between every pair of sampled sizes verifies, and fails against a
// wrong root. Runs are sized to keep the file at a few seconds.

const eventHash = (seed: number, i: number) => createHash('sha256').update(`${seed}:${i}`).digest()

const treeCase = fc
  .record({
    leaves: fc.integer({ min: 1, max: 2000 }),
    seed: fc.integer(),
    sizeSamples: fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 8, maxLength: 20 }),
    indexSamples: fc.array(fc.nat(), { minLength: 4, maxLength: 10 }),
  })
  .map(({ leaves, seed, sizeSamples, indexSamples }) => {
    // Always include the edges: 1, the full size and the powers of two around the sampled sizes.
    const sizes = new Set<number>([1, leaves, ...sizeSamples.map((s) => ((s - 1) % leaves) + 1)])
    for (const s of [...sizes]) {
      const p = 2 ** Math.floor(Math.log2(s))
      for (const edge of [p - 1, p, p + 1]) if (edge >= 1 && edge <= leaves) sizes.add(edge)
    }
    return { leaves, seed, sizes: [...sizes].sort((a, b) => a - b), indexSamples }
  })

t.test('every inclusion proof verifies, and fails against a wrong root', async (t) => {
  let checked = 0
  await fc.assert(
    fc.asyncProperty(treeCase, async ({ leaves, seed, sizes, indexSamples }) => {
      const tree = new MemoryMerkleTree()
      for (let i = 0; i < leaves; i++) tree.append(eventHash(seed, i))
      for (const size of sizes) {
        const n = BigInt(size)
        const root = tree.root(n)
        const wrongRoot = size > 1 ? tree.root(n - 1n) : tree.root(n + (n < tree.size ? 1n : 0n))
        const indexes = new Set([0, size - 1, ...indexSamples.map((i) => i % size)])
        for (const index of indexes) {
          const leafIndex = BigInt(index)
          const auditPath = tree.inclusionProof(leafIndex, n)
          const proof = { leafIndex, treeSize: n, leafHash: tree.leafHash(leafIndex), auditPath, rootHash: root }
          if (!verifyInclusion(proof)) return false
          if (toHex(wrongRoot) !== toHex(root) && verifyInclusion({ ...proof, rootHash: wrongRoot })) return false
          checked++
        }
      }
      // The async SubtreeSource path gives the same proof as the memory tree.
      const last = BigInt(sizes[sizes.length - 1]!)
      const viaSource = await proveInclusion(tree, last - 1n, last)
      return viaSource.map(toHex).join() === tree.inclusionProof(last - 1n, last).map(toHex).join()
    }),
    { numRuns: 30 },
  )
  t.ok(checked > 500, `checked ${checked} inclusion proofs`)
})

t.test('every consistency proof between sampled sizes verifies, and fails against a wrong root', async (t) => {
  let checked = 0
  await fc.assert(
    fc.asyncProperty(treeCase, async ({ leaves, seed, sizes }) => {
      const tree = new MemoryMerkleTree()
      for (let i = 0; i < leaves; i++) tree.append(eventHash(seed, i))
      const roots = new Map(sizes.map((s) => [s, tree.root(BigInt(s))]))
      for (const from of sizes) {
        for (const to of sizes) {
          if (from > to) continue
          const proof = tree.consistencyProof(BigInt(from), BigInt(to))
          const p = { from: BigInt(from), to: BigInt(to), fromRoot: roots.get(from)!, toRoot: roots.get(to)!, proof }
          if (!verifyConsistency(p)) return false
          // Any other tree's root in either position must fail (distinct sizes have distinct roots here).
          const other = sizes.find((s) => s !== from && s !== to)
          if (other !== undefined) {
            if (verifyConsistency({ ...p, toRoot: roots.get(other)! })) return false
            if (verifyConsistency({ ...p, fromRoot: roots.get(other)! })) return false
          }
          checked++
        }
      }
      const [a, b] = [sizes[0]!, sizes[sizes.length - 1]!]
      const viaSource = await proveConsistency(tree, BigInt(a), BigInt(b))
      return viaSource.map(toHex).join() === tree.consistencyProof(BigInt(a), BigInt(b)).map(toHex).join()
    }),
    { numRuns: 30 },
  )
  t.ok(checked > 1000, `checked ${checked} consistency proofs`)
})

t.test('every proof of a random tree, exhaustively along two axes, verifies; against a wrong root none does', async (t) => {
  // The sampled properties above cover many sizes; this one leaves no leaf and no size out along two axes: every
  // leaf at the full size and at a random size, every earlier size against the full tree, and a random size
  // against every later one.
  let checked = 0
  await fc.assert(
    fc.property(fc.integer({ min: 1, max: 2000 }), fc.integer(), fc.nat(), (leaves, seed, pick) => {
      const tree = new MemoryMerkleTree()
      for (let i = 0; i < leaves; i++) tree.append(eventHash(seed, i))
      const n = BigInt(leaves)
      const k = BigInt((pick % leaves) + 1)
      const roots = Array.from({ length: leaves + 1 }, (_, size) => tree.root(BigInt(size)))
      // A wrong root of the same shape: the tree of the same size over other leaves.
      const other = new MemoryMerkleTree()
      for (let i = 0; i < leaves; i++) other.append(eventHash(seed + 1, i))
      const otherRoots = Array.from({ length: leaves + 1 }, (_, size) => other.root(BigInt(size)))

      for (const size of new Set([n, k])) {
        for (let leafIndex = 0n; leafIndex < size; leafIndex++) {
          const proof = { leafIndex, treeSize: size, leafHash: tree.leafHash(leafIndex), auditPath: tree.inclusionProof(leafIndex, size), rootHash: roots[Number(size)]! }
          if (!verifyInclusion(proof)) return false
          if (verifyInclusion({ ...proof, rootHash: otherRoots[Number(size)]! })) return false
          checked++
        }
      }
      const pairs: Array<[bigint, bigint]> = []
      for (let from = 0n; from <= n; from++) pairs.push([from, n])
      for (let to = k; to <= n; to++) pairs.push([k, to])
      for (const [from, to] of pairs) {
        const p = { from, to, fromRoot: roots[Number(from)]!, toRoot: roots[Number(to)]!, proof: tree.consistencyProof(from, to) }
        if (!verifyConsistency(p)) return false
        // The empty tree is a prefix of every tree: from 0, any later root is consistent.
        if (from > 0n && verifyConsistency({ ...p, toRoot: otherRoots[Number(to)]! })) return false
        if (from > 0n && verifyConsistency({ ...p, fromRoot: otherRoots[Number(from)]! })) return false
        checked++
      }
      return true
    }),
    { numRuns: 8 },
  )
  t.ok(checked > 5_000, `checked ${checked} proofs`)
})

t.test('the frontier root equals the tree root after every append', async (t) => {
  await fc.assert(
    fc.property(fc.integer({ min: 1, max: 600 }), fc.integer(), (leaves, seed) => {
      const tree = new MemoryMerkleTree()
      let frontier: Frontier = EMPTY_FRONTIER
      let nodes = 0
      for (let i = 0; i < leaves; i++) {
        tree.append(eventHash(seed, i))
        const r = appendLeaf(frontier, eventHash(seed, i))
        frontier = r.frontier
        nodes += r.completed.length
        if (toHex(frontierRoot(frontier)) !== toHex(tree.root())) return false
      }
      // Every perfect subtree is completed exactly once: 2n - popcount(n) nodes in all.
      const popcount = leaves.toString(2).replace(/0/g, '').length
      return nodes === 2 * leaves - popcount && frontier.hashes.length === popcount
    }),
    { numRuns: 20 },
  )
  t.pass('frontier property held')
})
