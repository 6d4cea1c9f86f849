/**
 * @pc/ledger — tamper evidence (DESIGN §6): hashing, per-stream chains, the RFC 6962 Merkle tree with its proofs,
 * and Ed25519 signed tree heads, all pure (persistence plugs in through `SubtreeSource`); and the checks an auditor
 * runs on them (`LedgerReplay`, `verifyExport`), which read at most an export's files, never a database.
 *
 * @example
 * import { verifyExport } from '@pc/ledger'
 * const { ok, summary } = await verifyExport({ in: 'log.jsonl' }) // with log.jsonl.head.json and .pub.pem beside it
 */
export { canonicalJson } from './canonical-json.js'
export {
  ZERO_HASH,
  isHashHex,
  sha256Hex,
  hashEvent,
  sealEvents,
  verifyChain,
  verifyChainAsync,
  ChainVerifier,
} from './hash.js'
export type { UnsealedEvent, HashableEvent, SealedEvent, ChainProblem, ChainFailure, ChainResult } from './hash.js'
export {
  HASH_SIZE,
  EMPTY_ROOT,
  EMPTY_FRONTIER,
  leafHash,
  nodeHash,
  toHex,
  fromHex,
  leafInputOfEventHash,
  rootPlan,
  inclusionPlan,
  consistencyPlan,
  treeRoot,
  proveInclusion,
  proveConsistency,
  appendLeaf,
  frontierRoot,
  loadFrontier,
  MemoryMerkleTree,
  rootFromInclusionProof,
  verifyInclusion,
  verifyConsistency,
} from './merkle.js'
export type {
  Hash,
  HashInput,
  PerfectRef,
  PerfectNode,
  SubtreeSource,
  NodeSpec,
  Frontier,
  AppendLeafResult,
  InclusionProof,
  ConsistencyProof,
} from './merkle.js'
export {
  generateSigningKeyPair,
  loadPrivateKeyPem,
  loadPublicKeyPem,
  exportPrivateKeyPem,
  exportPublicKeyPem,
  publicKeyOf,
  keyIdOf,
} from './signing-key.js'
export type { SigningKeyPair } from './signing-key.js'
export {
  TREE_HEAD_VERSION,
  DEFAULT_LEDGER_ORIGIN,
  isLedgerOrigin,
  treeHeadVersion,
  treeHead,
  treeHeadSigningInput,
  signTreeHead,
  verifyTreeHead,
} from './tree-head.js'
export type { TreeHead, TreeHeadVersion, SignedTreeHead, TreeHeadCheck, VerifyTreeHeadOptions } from './tree-head.js'
export { LEDGER_CHECKPOINT_STREAM, TREE_HEAD_SIGNED } from './ledger-stream.js'
export * from './verify/index.js'
