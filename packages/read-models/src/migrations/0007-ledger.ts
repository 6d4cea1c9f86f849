import { sql, type Kysely, type Migration } from 'kysely'

/**
 * The ledger's tables (DESIGN §6): the leaves in the order the ledger projection appended them, the perfect
 * subtrees proofs are built from, the signed tree heads and the public keys that signed them.
 * See `ledger/ledger.tables.ts` for what each column means.
 */
export const ledger: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table ledger_leaves (
        leaf_index  bigint primary key check (leaf_index >= 0),
        event_id    uuid not null,
        stream_id   text not null,
        revision    bigint not null,
        position    bigint not null,
        tx_id       bigint not null,
        constraint ledger_leaves_event_id_key unique (event_id)
      )`.execute(db)
    // Only what `appendLeaf` completes is stored: level 0 holds the leaf hashes, level l the roots of the
    // perfect subtrees of 2^l leaves. Every proof node is one of these or a fold of at most log2(n) of them.
    await sql`
      create table ledger_nodes (
        level  smallint not null check (level between 0 and 63),
        index  bigint not null check (index >= 0),
        hash   bytea not null check (octet_length(hash) = 32),
        primary key (level, index)
      )`.execute(db)
    // Not a projection table: a signed head is a published commitment and survives a rebuild of the tree.
    await sql`
      create table ledger_heads (
        tree_size           bigint primary key check (tree_size > 0),
        root_hash           text not null,
        signed_at           text not null,
        signature           text not null,
        key_id              text not null,
        published_revision  bigint,
        published_position  bigint
      )`.execute(db)
    await sql`create index ledger_heads_unpublished_idx on ledger_heads (tree_size) where published_revision is null`.execute(db)
    await sql`
      create table ledger_keys (
        key_id          text primary key,
        public_key_pem  text not null,
        first_used_at   timestamptz not null default now()
      )`.execute(db)
  },
  async down(db: Kysely<unknown>) {
    for (const table of ['ledger_keys', 'ledger_heads', 'ledger_nodes', 'ledger_leaves']) {
      await db.schema.dropTable(table).ifExists().execute()
    }
  },
}
