import {
  appendLeaf,
  frontierRoot,
  leafInputOfEventHash,
  loadFrontier,
  signTreeHead,
  treeHead,
  type PerfectNode,
  type SignedTreeHead,
} from '@pc/ledger'
import type { Projection } from '../projection.js'
import { LEDGER_CHECKPOINT_STREAM, LEDGER_PROJECTION } from './ledger.constants.js'
import { insertHead, insertLeaves, insertNodes, latestHead, ledgerSubtreeSource, ledgerTreeSize, type LedgerLeaf } from './ledger.repository.js'
import type { LedgerSigner } from './signing-key.js'

export interface LedgerProjectionOptions {
  /** Signs a head every `headEvery` leaves. Without one, only the head worker signs (on time). */
  signer?: LedgerSigner
  /** `LEDGER_HEAD_EVERY`: leaves between count-triggered heads (default 1000). */
  headEvery?: number
  /** The clock for head timestamps (tests pass a fixed one). */
  now?: () => Date
}

/**
 * The ledger projection (DESIGN §6): appends every event's hash as a leaf of the RFC 6962 Merkle tree and stores
 * what proofs need, so an inclusion or consistency proof is one query of O(log n) rows, never a rebuild.
 *
 * - **Leaf order is this projection's delivery order**: the tree is over "all events in delivery order", which on
 *   PostgreSQL is (transaction id, position) order and on EventStoreDB position order. It is the only order a
 *   gap-safe subscriber can commit to: on PostgreSQL an event with a lower position may commit after one with a
 *   higher position, and a tree in position order would have to insert it behind leaves already signed.
 *   `ledger_leaves` records each leaf's event id, stream, revision, position and delivery transaction id.
 * - **The `ledger-checkpoints` stream is left out** (see `LEDGER_CHECKPOINT_STREAM`): heads describe the tree, so
 *   they cannot be in it. Its events pass by and the checkpoint moves past them.
 * - **Storage**: `ledger_nodes` gets exactly the perfect subtrees `appendLeaf` completes (2 per leaf on average);
 *   the frontier (the right edge, log2(n) hashes) is read back from them at the start of each batch, so there is
 *   no state outside the transaction that could drift from the tables after a crash or a rebuild.
 * - **Heads**: with a signer, a head is signed every `headEvery` leaves, at exactly that size, in the batch's
 *   transaction (a head is never ahead of the leaves it commits to), and only while the signer's key is the
 *   ledger's current key (`ledger_keys`). Time-triggered heads and the appends to
 *   `ledger-checkpoints` are the `LedgerHeadWorker`'s: appending to the event store from inside this transaction
 *   would hold the projection's row locks (and its transaction id, which holds back every gap-safe reader) while
 *   waiting on the store.
 *
 * @example
 * const projections = [ledgerProjection({ signer, headEvery: config.ledgerHeadEvery }), …]
 */
export function ledgerProjection(options: LedgerProjectionOptions = {}): Projection {
  const headEvery = BigInt(options.headEvery ?? 1000)
  if (headEvery < 1n) throw new RangeError(`LEDGER_HEAD_EVERY must be at least 1, got ${headEvery}`)
  const now = options.now ?? (() => new Date())
  const { signer } = options
  return {
    name: LEDGER_PROJECTION,
    version: 1,
    // ledger_heads and ledger_keys are deliberately not here: signed heads are published commitments, and a
    // rebuild (which swaps these tables for freshly built ones) must never drop one.
    tables: ['ledger_leaves', 'ledger_nodes'],
    async handle(trx, events) {
      const source = ledgerSubtreeSource(trx)
      let frontier = await loadFrontier(source, await ledgerTreeSize(trx))
      let lastHead = signer ? BigInt((await latestHead(trx))?.treeSize ?? '0') : 0n
      const leaves: LedgerLeaf[] = []
      const nodes: PerfectNode[] = []
      const heads: SignedTreeHead[] = []
      for (const event of events) {
        if (event.streamId === LEDGER_CHECKPOINT_STREAM) continue
        // Throws on an event without a well-formed hash: the projection stops there rather than skip it.
        const appended = appendLeaf(frontier, leafInputOfEventHash(event.metadata.hash))
        frontier = appended.frontier
        leaves.push({
          leafIndex: appended.leafIndex,
          eventId: event.eventId,
          streamId: event.streamId,
          revision: event.revision,
          position: event.position,
          txId: event.checkpoint.txId,
        })
        nodes.push(...appended.completed)
        if (signer && frontier.size - lastHead >= headEvery) {
          heads.push(signTreeHead(treeHead(frontier.size, frontierRoot(frontier), now(), signer.origin), signer.privateKey, signer.keyId))
          lastHead = frontier.size
        }
      }
      await insertLeaves(trx, leaves)
      await insertNodes(trx, nodes)
      // A key rotated away under a running process signs nothing more (the tree still grows): the head worker says
      // so in the log, and a restart with the current key signs the next head.
      for (const head of heads) if (!(await insertHead(trx, head, signer!.publicKeyPem))) break
    },
  }
}
