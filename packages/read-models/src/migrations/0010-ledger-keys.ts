import { sql, type Kysely, type Migration } from 'kysely'

/**
 * Keys that live for years (issue 16): heads record the format they were signed in and, from version 2 on, the log
 * they belong to; keys get the end of their validity (`retired_at`, null for the one current key), so a rotation
 * (`cli rotate-signing-key`) leaves every old key listed, with its period, for old heads to be checked with.
 */
export const ledgerKeys: Migration = {
  async up(db: Kysely<unknown>) {
    // Existing heads were signed over { treeSize, rootHash, timestamp } only: version 1, no origin.
    await sql`
      alter table ledger_heads
        add column version smallint not null default 1 check (version in (1, 2)),
        add column origin text,
        add constraint ledger_heads_origin_of_version check ((version = 1) = (origin is null))`.execute(db)
    await sql`alter table ledger_keys add column retired_at timestamptz`.execute(db)
    // Before rotations were recorded a key simply stopped being used: it was valid until the next key was first
    // used, or until its own last head if that came later (never cut a recorded head out of its key's period).
    await sql`
      update ledger_keys k
         set retired_at = greatest(n.next_first_used_at,
                                   (select max(h.signed_at::timestamptz) from ledger_heads h where h.key_id = k.key_id))
        from (select key_id, lead(first_used_at) over (order by first_used_at, key_id) as next_first_used_at
                from ledger_keys) n
       where n.key_id = k.key_id and n.next_first_used_at is not null`.execute(db)
    // One current key at a time: a rotation retires the old key and adds the new one in one transaction.
    await sql`create unique index ledger_keys_one_current on ledger_keys ((true)) where retired_at is null`.execute(db)
  },
  async down(db: Kysely<unknown>) {
    await sql`drop index if exists ledger_keys_one_current`.execute(db)
    await sql`alter table ledger_keys drop column if exists retired_at`.execute(db)
    await sql`
      alter table ledger_heads drop constraint if exists ledger_heads_origin_of_version,
        drop column if exists origin, drop column if exists version`.execute(db)
  },
}
