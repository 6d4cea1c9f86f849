import { NotFoundError, RuleViolationError } from '@pc/domain'
import {
  consistencyPlan,
  inclusionPlan,
  proveConsistency,
  proveInclusion,
  rootPlan,
  toHex,
  treeRoot,
  type Hash,
  type PerfectRef,
  type SubtreeSource,
} from '@pc/ledger'
import {
  findLeafByEventId,
  latestHead,
  ledgerSubtreeSource,
  ledgerTreeSize,
  readPublicKey,
  readPublicKeys,
  signedHeadOf,
  type LedgerDb,
} from './ledger.repository.js'
import type {
  ConsistencyProofQuery,
  ConsistencyProofResponse,
  InclusionProofQuery,
  InclusionProofResponse,
  LedgerKeysResponse,
  PublicKeyResponse,
  SignedTreeHeadResponse,
} from './ledger.schemas.js'

/**
 * The ledger's read side, as plain functions over the database (the query API's routes call these). Results are
 * JSON-ready: sizes are decimal strings, hashes lowercase hex. Errors: `NotFoundError` (404) for what does not
 * exist yet, `RuleViolationError` (422) for sizes outside the tree.
 */

/**
 * The latest signed tree head.
 *
 * @example
 * const head = await ledgerHead(db) // { treeSize: '1000', rootHash, timestamp, signature, keyId }
 */
export async function ledgerHead(db: LedgerDb): Promise<SignedTreeHeadResponse> {
  const head = await latestHead(db)
  if (!head) throw new NotFoundError('the ledger has not signed a tree head yet')
  return signedHeadOf(head)
}

/** The public key that verifies heads: the one named, or the one that signed the latest head. */
export async function ledgerPublicKey(db: LedgerDb, query: { keyId?: string | undefined } = {}): Promise<PublicKeyResponse> {
  const key = await readPublicKey(db, query.keyId)
  if (!key) throw new NotFoundError(query.keyId ? `no ledger key ${query.keyId}` : 'the ledger has no signing key yet')
  return key
}

/**
 * Every key that signs or signed heads, with its validity period, oldest first: what an auditor needs to check old
 * heads after a rotation.
 *
 * @example
 * const { keys } = await ledgerKeys(db) // [{ keyId, publicKeyPem, validFrom, validUntil: '…' }, { …, validUntil: null }]
 */
export async function ledgerKeys(db: LedgerDb): Promise<LedgerKeysResponse> {
  return { keys: await readPublicKeys(db) }
}

/**
 * RFC 6962 inclusion proof of an event in the tree of the first `treeSize` leaves (default: the latest signed
 * head's size, so the proof checks against a signed root). One query for the whole path and the root.
 *
 * @example
 * const proof = await inclusionProof(db, { eventId })
 * verifyInclusion({ ...proof, leafIndex: BigInt(proof.leafIndex), treeSize: BigInt(proof.treeSize) })
 */
export async function inclusionProof(db: LedgerDb, query: InclusionProofQuery): Promise<InclusionProofResponse> {
  const leaf = await findLeafByEventId(db, query.eventId.toLowerCase())
  if (!leaf) throw new NotFoundError(`event ${query.eventId} is not in the ledger (yet)`)
  const size = await ledgerTreeSize(db)
  const treeSize = query.treeSize !== undefined ? BigInt(query.treeSize) : BigInt((await latestHead(db))?.treeSize ?? size)
  checkTreeSize(treeSize, size, 'treeSize')
  if (leaf.leafIndex >= treeSize) {
    throw new RuleViolationError(
      'LEAF_NOT_IN_TREE',
      `event ${query.eventId} is leaf ${leaf.leafIndex}, which a tree of ${treeSize} leaves does not contain yet`,
      'treeSize',
    )
  }
  const source = await prefetch(db, [[{ level: 0, index: leaf.leafIndex }], ...inclusionPlan(leaf.leafIndex, treeSize), rootPlan(treeSize)])
  const [leafHash, auditPath, rootHash] = await Promise.all([
    source.perfect(0, leaf.leafIndex),
    proveInclusion(source, leaf.leafIndex, treeSize),
    treeRoot(source, treeSize),
  ])
  return {
    leafIndex: leaf.leafIndex.toString(),
    treeSize: treeSize.toString(),
    leafHash: toHex(leafHash),
    auditPath: auditPath.map(toHex),
    rootHash: toHex(rootHash),
  }
}

/**
 * RFC 6962 consistency proof between the trees of the first `from` and `to` leaves: shows the later tree is the
 * earlier one with leaves appended, nothing changed.
 *
 * @example
 * const { proof } = await consistencyProof(db, { from: oldHead.treeSize, to: newHead.treeSize })
 */
export async function consistencyProof(db: LedgerDb, query: ConsistencyProofQuery): Promise<ConsistencyProofResponse> {
  const from = BigInt(query.from)
  const to = BigInt(query.to)
  checkTreeSize(to, await ledgerTreeSize(db), 'to')
  if (from > to) throw new RuleViolationError('TREE_SIZE_OUT_OF_RANGE', `from (${from}) must not exceed to (${to})`, 'from')
  const source = await prefetch(db, consistencyPlan(from, to))
  const proof = await proveConsistency(source, from, to)
  return { from: from.toString(), to: to.toString(), proof: proof.map(toHex) }
}

function checkTreeSize(treeSize: bigint, size: bigint, field: string): void {
  if (treeSize > size) {
    throw new RuleViolationError('TREE_SIZE_OUT_OF_RANGE', `the ledger has ${size} leaves; ${field} ${treeSize} is beyond it`, field)
  }
}

/** Reads every perfect subtree the plans name in one query, and serves them from memory. */
async function prefetch(db: LedgerDb, plans: readonly (readonly PerfectRef[])[]): Promise<SubtreeSource> {
  const refs = plans.flat()
  const hashes = await ledgerSubtreeSource(db).perfectMany!(refs)
  const nodes = new Map<string, Hash>(refs.map((ref, i) => [`${ref.level}:${ref.index}`, hashes[i]!]))
  return {
    async perfect(level, index) {
      const hash = nodes.get(`${level}:${index}`)
      if (!hash) throw new Error(`ledger: node (${level}, ${index}) was not prefetched`)
      return hash
    },
  }
}
