/**
 * The ledger read side (DESIGN §6): the projection that builds the RFC 6962 tree in PostgreSQL, the worker that
 * signs and publishes tree heads, and the proof queries the HTTP API serves. The replay that `cli audit` and
 * `cli verify` run needs no database and is `@pc/ledger`'s (`LedgerReplay`).
 *
 * @example
 * const signer = await loadOrCreateSigningKey({ pem: env.LEDGER_SIGNING_KEY, dataDir, log })
 * const projection = ledgerProjection({ signer, headEvery: 1000 })
 * const worker = new LedgerHeadWorker({ db, store, signer, headSeconds: 60 })
 */
export {
  LEDGER_PROJECTION,
  LEDGER_CHECKPOINT_STREAM,
  TREE_HEAD_SIGNED,
  DEFAULT_LEDGER_ORIGIN,
  isLedgerOrigin,
  LEDGER_ACTOR,
  DEFAULT_LEDGER_HEAD_EVERY,
  DEFAULT_LEDGER_HEAD_SECONDS,
  SIGNING_KEY_FILE,
} from './ledger.constants.js'
export { ledgerMigrations } from './ledger.migrations.js'
export type { LedgerDatabase, LedgerLeavesTable, LedgerNodesTable, LedgerHeadsTable, LedgerKeysTable } from './ledger.tables.js'
export {
  ledgerTreeSize,
  ledgerSubtreeSource,
  findLeafByEventId,
  findLeavesByEventIds,
  readLeaves,
  latestHead,
  readHeads,
  readPublicKey,
  readPublicKeys,
  registerSigningKey,
  describeSigningKeyStatus,
  rotateSigningKey,
  SigningKeyRotationError,
  signedHeadOf,
  type LedgerKey,
  type SigningKeyStatus,
  type SigningKeyRotation,
  restoreHeads,
  ledgerHolds,
  type HeadToRestore,
  type LedgerDb,
  type LedgerTransactional,
  type LedgerLeaf,
  type LedgerLeafWithHash,
  type StoredHead,
} from './ledger.repository.js'
export { ledgerProjection, type LedgerProjectionOptions } from './ledger.projection.js'
export {
  LedgerHeadWorker,
  appendHeadEvent,
  treeHeadEventId,
  type LedgerHeadWorkerOptions,
  type LedgerHeadTick,
} from './ledger-heads.worker.js'
export {
  loadOrCreateSigningKey,
  signerFromPem,
  signingKeyFile,
  stageSigningKeyFile,
  type LedgerSigner,
  type InfoLogger,
  type StagedSigningKeyFile,
} from './signing-key.js'
export { ledgerHead, ledgerPublicKey, ledgerKeys, inclusionProof, consistencyProof } from './ledger.queries.js'
export {
  SignedTreeHeadResponse,
  PublicKeyQuery,
  PublicKeyResponse,
  LedgerKeyResponse,
  LedgerKeysResponse,
  InclusionProofQuery,
  InclusionProofResponse,
  ConsistencyProofQuery,
  ConsistencyProofResponse,
} from './ledger.schemas.js'
