import { sql, type QueryExecutorProvider } from 'kysely'
import { HASH_SIZE, type Hash, type PerfectNode, type PerfectRef, type SignedTreeHead, type SubtreeSource } from '@pc/ledger'
import { LEDGER_PROJECTION } from './ledger.constants.js'

/**
 * Reads and writes of the ledger tables, in plain SQL. They take any kysely instance or transaction, whatever
 * tables its type declares (kysely's `Kysely<DB>` is invariant in `DB`, and the ledger is used from the projector's,
 * the query API's and the CLI's instances alike).
 */
export type LedgerDb = QueryExecutorProvider

/** A kysely instance that can open a transaction (the head worker needs one). */
export interface LedgerTransactional extends QueryExecutorProvider {
  transaction(): { execute<T>(callback: (trx: QueryExecutorProvider) => Promise<T>): Promise<T> }
}

/** A leaf as stored: which event, where it was in the log. */
export interface LedgerLeaf {
  leafIndex: bigint
  eventId: string
  streamId: string
  revision: bigint
  position: bigint
  txId: bigint
}

/** A leaf with its hash (SHA-256(0x00 ‖ event hash)), as audits and exports read them. */
export interface LedgerLeafWithHash extends LedgerLeaf {
  leafHash: Hash
}

/** A head as stored, with where it went in `ledger-checkpoints` (null until published). */
export interface StoredHead extends SignedTreeHead {
  publishedRevision: bigint | null
  publishedPosition: bigint | null
}

/** Number of leaves appended so far. */
export async function ledgerTreeSize(db: LedgerDb): Promise<bigint> {
  // max() on the primary key is an index lookup; leaves are dense from 0, so max + 1 is the count.
  const { rows } = await sql<{ size: string }>`select coalesce(max(leaf_index) + 1, 0)::text as size from ledger_leaves`.execute(db)
  return BigInt(rows[0]?.size ?? '0')
}

/**
 * The stored tree as a `SubtreeSource`: every node a proof needs comes back from ONE query (`perfectMany`), so a
 * proof costs one round trip and O(log n) index lookups.
 *
 * @example
 * const auditPath = await proveInclusion(ledgerSubtreeSource(db), 41n, 1000n)
 */
export function ledgerSubtreeSource(db: LedgerDb): SubtreeSource {
  const perfectMany = async (refs: readonly PerfectRef[]): Promise<Hash[]> => {
    if (refs.length === 0) return []
    const levels = refs.map((r) => r.level)
    const indexes = refs.map((r) => r.index.toString())
    const { rows } = await sql<{ level: number; index: string; hash: Buffer | null }>`
      select r.level, r.index::text as index, n.hash
        from unnest(${levels}::smallint[], ${indexes}::bigint[]) with ordinality as r(level, index, ord)
        left join ledger_nodes n on n.level = r.level and n.index = r.index
       order by r.ord`.execute(db)
    return rows.map((row) => {
      if (row.hash === null || row.hash.byteLength !== HASH_SIZE) {
        throw new Error(`ledger: perfect subtree (${row.level}, ${row.index}) is not stored`)
      }
      return new Uint8Array(row.hash)
    })
  }
  return {
    perfectMany,
    async perfect(level, index) {
      const [hash] = await perfectMany([{ level, index }])
      return hash as Hash
    },
  }
}

/** Appends leaf rows (one statement, however many). */
export async function insertLeaves(db: LedgerDb, leaves: readonly LedgerLeaf[]): Promise<void> {
  if (leaves.length === 0) return
  await sql`
    insert into ledger_leaves (leaf_index, event_id, stream_id, revision, position, tx_id)
    select * from unnest(${leaves.map((l) => l.leafIndex.toString())}::bigint[], ${leaves.map((l) => l.eventId)}::uuid[],
                         ${leaves.map((l) => l.streamId)}::text[], ${leaves.map((l) => l.revision.toString())}::bigint[],
                         ${leaves.map((l) => l.position.toString())}::bigint[], ${leaves.map((l) => l.txId.toString())}::bigint[])`.execute(db)
}

/** Stores the perfect subtrees `appendLeaf` completed. A node is written once and never changes. */
export async function insertNodes(db: LedgerDb, nodes: readonly PerfectNode[]): Promise<void> {
  if (nodes.length === 0) return
  await sql`
    insert into ledger_nodes (level, index, hash)
    select * from unnest(${nodes.map((n) => n.level)}::smallint[], ${nodes.map((n) => n.index.toString())}::bigint[],
                         ${nodes.map((n) => Buffer.from(n.hash.buffer, n.hash.byteOffset, n.hash.byteLength))}::bytea[])`.execute(db)
}

interface LeafRow {
  leaf_index: string
  event_id: string
  stream_id: string
  revision: string
  position: string
  tx_id: string
}

function leafOfRow(row: LeafRow): LedgerLeaf {
  return {
    leafIndex: BigInt(row.leaf_index),
    eventId: row.event_id,
    streamId: row.stream_id,
    revision: BigInt(row.revision),
    position: BigInt(row.position),
    txId: BigInt(row.tx_id),
  }
}

/** The leaf an event became, or undefined if it is not (yet) in the tree. */
export async function findLeafByEventId(db: LedgerDb, eventId: string): Promise<LedgerLeaf | undefined> {
  const { rows } = await sql<LeafRow>`
    select leaf_index::text, event_id::text, stream_id, revision::text, position::text, tx_id::text
      from ledger_leaves where event_id = ${eventId}::uuid`.execute(db)
  return rows[0] ? leafOfRow(rows[0]) : undefined
}

/** The leaves of several events at once (stream exports), keyed by event id. */
export async function findLeavesByEventIds(db: LedgerDb, eventIds: readonly string[]): Promise<Map<string, LedgerLeaf>> {
  if (eventIds.length === 0) return new Map()
  const { rows } = await sql<LeafRow>`
    select leaf_index::text, event_id::text, stream_id, revision::text, position::text, tx_id::text
      from ledger_leaves where event_id = any(${[...eventIds]}::uuid[])`.execute(db)
  return new Map(rows.map((row) => [row.event_id, leafOfRow(row)]))
}

/**
 * Leaves [from, to) in order with their hashes, a page at a time (audits and whole-log exports walk all of them).
 *
 * @example
 * for await (const leaf of readLeaves(db, { to: head.treeSize })) …
 */
export async function* readLeaves(
  db: LedgerDb,
  options: { from?: bigint; to?: bigint; pageSize?: number } = {},
): AsyncGenerator<LedgerLeafWithHash> {
  const pageSize = options.pageSize ?? 2000
  let next = options.from ?? 0n
  for (;;) {
    const limit = options.to === undefined ? pageSize : Number(minBigint(BigInt(pageSize), options.to - next))
    if (limit <= 0) return
    const { rows } = await sql<LeafRow & { hash: Buffer | null }>`
      select l.leaf_index::text, l.event_id::text, l.stream_id, l.revision::text, l.position::text, l.tx_id::text, n.hash
        from ledger_leaves l
        left join ledger_nodes n on n.level = 0 and n.index = l.leaf_index
       where l.leaf_index >= ${next.toString()}::bigint
       order by l.leaf_index
       limit ${limit}`.execute(db)
    for (const row of rows) {
      const leaf = leafOfRow(row)
      if (leaf.leafIndex !== next) throw new Error(`ledger: leaf ${next} is missing from ledger_leaves`)
      if (row.hash === null) throw new Error(`ledger: leaf ${next} has no hash in ledger_nodes`)
      yield { ...leaf, leafHash: new Uint8Array(row.hash) }
      next += 1n
    }
    if (rows.length < limit) return
  }
}

function minBigint(a: bigint, b: bigint): bigint {
  return a < b ? a : b
}

interface HeadRow {
  version: number
  origin: string | null
  tree_size: string
  root_hash: string
  signed_at: string
  signature: string
  key_id: string
  published_revision: string | null
  published_position: string | null
}

// Selected from `ledger_heads h`. ORDER BY must say `h.tree_size`: a bare `tree_size` would name the text output
// column and sort '8' after '16'.
const HEAD_COLUMNS = sql.raw(
  'h.version, h.origin, h.tree_size::text as tree_size, h.root_hash, h.signed_at, h.signature, h.key_id, ' +
    'h.published_revision::text as published_revision, h.published_position::text as published_position',
)

function headOfRow(row: HeadRow): StoredHead {
  return {
    // A version 1 head is published without the two fields, exactly as it was signed and served before.
    ...(row.version === 2 ? { version: 2 as const, origin: row.origin! } : {}),
    treeSize: row.tree_size,
    rootHash: row.root_hash,
    timestamp: row.signed_at,
    signature: row.signature,
    keyId: row.key_id,
    publishedRevision: row.published_revision === null ? null : BigInt(row.published_revision),
    publishedPosition: row.published_position === null ? null : BigInt(row.published_position),
  }
}

/** Strips the storage fields: what is published and verified. */
export function signedHeadOf(head: SignedTreeHead): SignedTreeHead & { version?: 2 } {
  return {
    ...(head.version === 2 ? { version: 2 as const, origin: head.origin! } : {}),
    treeSize: head.treeSize,
    rootHash: head.rootHash,
    timestamp: head.timestamp,
    signature: head.signature,
    keyId: head.keyId,
  }
}

/** The head with the largest tree, or undefined before the first one is signed. */
export async function latestHead(db: LedgerDb): Promise<StoredHead | undefined> {
  const { rows } = await sql<HeadRow>`select ${HEAD_COLUMNS} from ledger_heads h order by h.tree_size desc limit 1`.execute(db)
  return rows[0] ? headOfRow(rows[0]) : undefined
}

/** Every head, smallest tree first. */
export async function readHeads(db: LedgerDb): Promise<StoredHead[]> {
  const { rows } = await sql<HeadRow>`select ${HEAD_COLUMNS} from ledger_heads h order by h.tree_size`.execute(db)
  return rows.map(headOfRow)
}

/** Heads not yet appended to `ledger-checkpoints`, smallest tree first. */
export async function unpublishedHeads(db: LedgerDb): Promise<StoredHead[]> {
  const { rows } = await sql<HeadRow>`
    select ${HEAD_COLUMNS} from ledger_heads h where h.published_revision is null order by h.tree_size`.execute(db)
  return rows.map(headOfRow)
}

/**
 * Stores a freshly signed head, if the key that signed it is the ledger's current key (the first key ever is
 * recorded as current on the way). Returns false, storing nothing, for a key that was retired (`cli
 * rotate-signing-key` ran while this process kept the old key) or was never made current: such a head is not
 * published, and the process must be restarted with the current key.
 */
export async function insertHead(db: LedgerDb, head: SignedTreeHead, publicKeyPem: string): Promise<boolean> {
  await recordFirstKey(db, head.keyId, publicKeyPem)
  const version = head.version === 2 ? 2 : 1
  const result = await sql`
    insert into ledger_heads (tree_size, root_hash, signed_at, signature, key_id, version, origin)
    select ${head.treeSize}::bigint, ${head.rootHash}, ${head.timestamp}, ${head.signature}, ${head.keyId}, ${version}::smallint,
           ${version === 2 ? head.origin! : null}::text
     where exists (select 1 from ledger_keys where key_id = ${head.keyId} and retired_at is null)`.execute(db)
  return (result.numAffectedRows ?? 0n) > 0n
}

export async function markHeadPublished(db: LedgerDb, treeSize: string, revision: bigint, position: bigint): Promise<void> {
  await sql`
    update ledger_heads set published_revision = ${revision.toString()}::bigint, published_position = ${position.toString()}::bigint
     where tree_size = ${treeSize}::bigint`.execute(db)
}

/** A ledger key with its validity period (`GET /v1/ledger/keys`). */
export interface LedgerKey {
  keyId: string
  /** SPKI PEM. */
  publicKeyPem: string
  /** ISO 8601: when it became the current key (its first use, for keys from before rotations were recorded). */
  validFrom: string
  /** ISO 8601: when it was retired; null for the current key. Heads it signed are dated no later. */
  validUntil: string | null
}

/** Where a signer's key stands in `ledger_keys`. */
export type SigningKeyStatus =
  | { state: 'current' }
  /** Retired by a rotation: the process holds an old key. */
  | { state: 'retired'; retiredAt: string; current: string | undefined }
  /** Never made current: another key is (a key changes by `cli rotate-signing-key`, never by configuration alone). */
  | { state: 'unknown'; current: string }

// The first key of a ledger becomes its current key; any later key only through a rotation. With two first keys
// racing, the partial unique index lets one in and `on conflict do nothing` turns the other away quietly.
async function recordFirstKey(db: LedgerDb, keyId: string, publicKeyPem: string): Promise<void> {
  await sql`insert into ledger_keys (key_id, public_key_pem)
            select ${keyId}, ${publicKeyPem} where not exists (select 1 from ledger_keys where retired_at is null)
            on conflict do nothing`.execute(db)
}

/**
 * Registers a signer's key: the first key of a ledger becomes its current key; otherwise says where the key stands.
 * The projector calls it at start and refuses to sign with a key that is not current.
 *
 * @example
 * const status = await registerSigningKey(db, signer.keyId, signer.publicKeyPem)
 * if (status.state !== 'current') throw new Error(describeSigningKeyStatus(signer.keyId, status))
 */
export async function registerSigningKey(db: LedgerDb, keyId: string, publicKeyPem: string): Promise<SigningKeyStatus> {
  await recordFirstKey(db, keyId, publicKeyPem)
  const { rows } = await sql<{ key_id: string; retired_at: Date | null }>`
    select key_id, retired_at from ledger_keys where key_id = ${keyId} or retired_at is null`.execute(db)
  const own = rows.find((r) => r.key_id === keyId)
  const current = rows.find((r) => r.retired_at === null)?.key_id
  if (own && own.retired_at === null) return { state: 'current' }
  if (own) return { state: 'retired', retiredAt: own.retired_at!.toISOString(), current }
  return { state: 'unknown', current: current! }
}

/** One line for a key that may not sign, naming what to do. */
export function describeSigningKeyStatus(keyId: string, status: Exclude<SigningKeyStatus, { state: 'current' }>): string {
  const fix = 'configure the current key (LEDGER_SIGNING_KEY, or the key file in DATA_DIR)'
  return status.state === 'retired'
    ? `the ledger signing key ${keyId} was retired at ${status.retiredAt} by cli rotate-signing-key` +
        `${status.current ? ` (the current key is ${status.current})` : ''}: ${fix}`
    : `the ledger signing key ${keyId} is not the ledger's current key ${status.current}: ${fix}, ` +
        'or make this one current with cli rotate-signing-key --new-key-file'
}

/** A head of a restored log and, if its `TreeHeadSigned` is in the restored `ledger-checkpoints`, where. */
export interface HeadToRestore {
  head: SignedTreeHead
  published?: { revision: bigint; position: bigint }
}

/**
 * Records the signed heads of a restored log (`cli import`) as the ledger had them, with the public key that signed
 * them: the heads are commitments already given out, so they are kept, never signed again (the projection's next
 * count-triggered head then comes after the latest of them, as it would have). A head found in the restored
 * `ledger-checkpoints` stream is marked published there; one that is not (signed after the last publication) is
 * left for the head worker to publish. Heads already stored are left as they are.
 */
export async function restoreHeads(db: LedgerDb, publicKeyPem: string, heads: readonly HeadToRestore[]): Promise<void> {
  for (const { head, published } of heads) {
    // The first key of the restored ledger becomes its current key (`recordFirstKey`); no conflict target, so a
    // key that cannot be current (there is one already) is left out rather than failing the restore.
    await recordFirstKey(db, head.keyId, publicKeyPem)
    const version = head.version === 2 ? 2 : 1
    await sql`
      insert into ledger_heads (tree_size, root_hash, signed_at, signature, key_id, version, origin, published_revision, published_position)
      values (${head.treeSize}::bigint, ${head.rootHash}, ${head.timestamp}, ${head.signature}, ${head.keyId}, ${version}::smallint,
              ${version === 2 ? head.origin! : null}::text,
              ${published?.revision.toString() ?? null}::bigint, ${published?.position.toString() ?? null}::bigint)
      on conflict (tree_size) do nothing`.execute(db)
  }
}

/** How many leaves and heads the ledger tables hold (a restore wants none: they would describe another log). */
export async function ledgerHolds(db: LedgerDb): Promise<{ leaves: bigint; heads: bigint }> {
  const { rows } = await sql<{ leaves: string; heads: string }>`
    select (select count(*) from ledger_leaves)::text as leaves, (select count(*) from ledger_heads)::text as heads`.execute(db)
  return { leaves: BigInt(rows[0]!.leaves), heads: BigInt(rows[0]!.heads) }
}

/** A key by id, or — without an id — the key of the latest head (else the most recently recorded key). */
export async function readPublicKey(db: LedgerDb, keyId?: string): Promise<{ keyId: string; publicKeyPem: string } | undefined> {
  const { rows } = keyId
    ? await sql<{ key_id: string; public_key_pem: string }>`
        select key_id, public_key_pem from ledger_keys where key_id = ${keyId}`.execute(db)
    : await sql<{ key_id: string; public_key_pem: string }>`
        select k.key_id, k.public_key_pem
          from ledger_keys k
          left join lateral (select max(tree_size) as size from ledger_heads h where h.key_id = k.key_id) h on true
         order by h.size desc nulls last, k.first_used_at desc, k.key_id
         limit 1`.execute(db)
  const row = rows[0]
  return row ? { keyId: row.key_id, publicKeyPem: row.public_key_pem } : undefined
}

/** Every recorded public key with its validity period, oldest first (audits check each head with the key it names). */
export async function readPublicKeys(db: LedgerDb): Promise<LedgerKey[]> {
  const { rows } = await sql<{ key_id: string; public_key_pem: string; first_used_at: Date; retired_at: Date | null }>`
    select key_id, public_key_pem, first_used_at, retired_at from ledger_keys order by first_used_at, key_id`.execute(db)
  return rows.map((row) => ({
    keyId: row.key_id,
    publicKeyPem: row.public_key_pem,
    validFrom: row.first_used_at.toISOString(),
    validUntil: row.retired_at ? row.retired_at.toISOString() : null,
  }))
}

export interface SigningKeyRotation {
  /** The key that was current, now retired at `at`; undefined when the ledger had no key yet. */
  previous: string | undefined
  current: string
  /** ISO 8601: the end of the old key's period and the start of the new one's. */
  at: string
}

/** Why a rotation was refused. */
export class SigningKeyRotationError extends Error {
  override readonly name = 'SigningKeyRotationError'
}

/**
 * Makes `next` the ledger's current signing key and retires the current one, in one transaction that holds the
 * ledger projection's checkpoint row (no head is signed meanwhile). The switch is at `now`, or at the old key's last
 * head if its clock ran ahead, so every head the old key signed stays inside its period. A key that was ever used
 * cannot be made current again.
 *
 * @example
 * const { previous, current, at } = await rotateSigningKey(db, { keyId: next.keyId, publicKeyPem: next.publicKeyPem })
 */
export async function rotateSigningKey(
  db: LedgerTransactional,
  next: { keyId: string; publicKeyPem: string },
  now: Date = new Date(),
): Promise<SigningKeyRotation> {
  return db.transaction().execute(async (trx) => {
    await lockLedgerCheckpoint(trx, LEDGER_PROJECTION)
    const { rows } = await sql<{ key_id: string; retired_at: Date | null; last_head: Date | null }>`
      select k.key_id, k.retired_at, (select max(h.signed_at::timestamptz) from ledger_heads h where h.key_id = k.key_id) as last_head
        from ledger_keys k where k.key_id = ${next.keyId} or k.retired_at is null
         for update of k`.execute(trx)
    const known = rows.find((r) => r.key_id === next.keyId)
    if (known) {
      throw new SigningKeyRotationError(
        known.retired_at === null
          ? `the key ${next.keyId} is already the current ledger signing key`
          : `the key ${next.keyId} was retired at ${known.retired_at.toISOString()}; a retired key is never made current again`,
      )
    }
    const previous = rows.find((r) => r.retired_at === null)
    const lastHead = previous?.last_head ? previous.last_head.getTime() : Number.NEGATIVE_INFINITY
    const at = new Date(Math.max(now.getTime(), lastHead)).toISOString()
    if (previous) await sql`update ledger_keys set retired_at = ${at}::timestamptz where key_id = ${previous.key_id}`.execute(trx)
    await sql`insert into ledger_keys (key_id, public_key_pem, first_used_at) values (${next.keyId}, ${next.publicKeyPem}, ${at}::timestamptz)`.execute(trx)
    return { previous: previous?.key_id, current: next.keyId, at }
  })
}

/** Locks the ledger projection's checkpoint row: serialises with its batches and a rebuild's swap. */
export async function lockLedgerCheckpoint(trx: LedgerDb, projection: string): Promise<boolean> {
  const { rows } = await sql<{ name: string }>`
    select name from projection_checkpoints where name = ${projection} for update`.execute(trx)
  return rows.length > 0
}
