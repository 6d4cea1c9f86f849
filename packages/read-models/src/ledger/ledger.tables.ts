import type { ColumnType } from 'kysely'

/**
 * The ledger's tables as kysely sees them (created by migration `0007-ledger`). The ledger's own code reads and
 * writes them with plain SQL (`ledger.repository.ts`); these types are for the shared `Database` interface.
 * int8 columns come back from pg as decimal strings: convert with `BigInt`, never `Number`.
 */

/** One row per leaf of the Merkle tree: which event it is and where it was in the log. */
export interface LedgerLeavesTable {
  /** 0-based; the tree over "all events in delivery order" (see `ledger.projection.ts`). */
  leaf_index: ColumnType<string, bigint | string, never>
  event_id: ColumnType<string, string, never>
  stream_id: ColumnType<string, string, never>
  revision: ColumnType<string, bigint | string, never>
  position: ColumnType<string, bigint | string, never>
  /** The delivery checkpoint's transaction id (0 on stores whose positions are already in commit order). */
  tx_id: ColumnType<string, bigint | string, never>
}

/** Perfect-subtree hashes: `(level, index)` is the root of leaves [index·2^level, (index+1)·2^level). */
export interface LedgerNodesTable {
  level: ColumnType<number, number, never>
  index: ColumnType<string, bigint | string, never>
  hash: ColumnType<Buffer, Uint8Array, never>
}

/**
 * Signed tree heads, kept for good (not part of the projection's tables, so a rebuild never drops one). Doubles as
 * the outbox of the `ledger-checkpoints` stream: `published_*` is null until the head has been appended there.
 */
export interface LedgerHeadsTable {
  /** The signed format (migration `0010-ledger-keys`): 1 for heads signed before the origin was bound, else 2. */
  version: ColumnType<number, number | undefined, never>
  /** The log identity a version 2 head names; null on version 1 heads. */
  origin: ColumnType<string | null, string | null | undefined, never>
  tree_size: ColumnType<string, bigint | string, never>
  root_hash: ColumnType<string, string, never>
  /** The head's `timestamp` exactly as signed (a string: re-formatting a date would break the signature). */
  signed_at: ColumnType<string, string, never>
  signature: ColumnType<string, string, never>
  key_id: ColumnType<string, string, never>
  published_revision: ColumnType<string | null, bigint | string | null | undefined, bigint | string | null>
  published_position: ColumnType<string | null, bigint | string | null | undefined, bigint | string | null>
}

/** Every public key the ledger has had, with its validity period (so heads stay verifiable after a key rotation). */
export interface LedgerKeysTable {
  key_id: ColumnType<string, string, never>
  /** SPKI PEM. */
  public_key_pem: ColumnType<string, string, never>
  /** The start of its validity: when a rotation made it current (or its first use, for the first key). */
  first_used_at: ColumnType<Date, Date | string | undefined, never>
  /** The end of its validity (migration `0010-ledger-keys`); null for the one current key. */
  retired_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
}

export interface LedgerDatabase {
  ledger_leaves: LedgerLeavesTable
  ledger_nodes: LedgerNodesTable
  ledger_heads: LedgerHeadsTable
  ledger_keys: LedgerKeysTable
}
