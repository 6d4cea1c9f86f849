import { Kysely, Migrator, PostgresDialect, sql, type Migration as KyselyMigration } from 'kysely'
import type pg from 'pg'

/**
 * The event store's schema, as numbered SQL migrations, run by kysely's `Migrator` like the read models' and the
 * command API's, with tables of this package's own (`EVENT_STORE_MIGRATION_TABLE`) so the histories never mix.
 *
 * Never edit a migration that has shipped; add a new one.
 */
export interface Migration {
  version: number
  /** The migration's name in kysely's table; sorts in version order. */
  id: string
  name: string
  sql: string
}

export const EVENT_STORE_MIGRATION_TABLE = 'event_store_migrations'
export const EVENT_STORE_MIGRATION_LOCK_TABLE = 'event_store_migrations_lock'

/**
 * Where the hand-written runner this replaced recorded applied versions. Databases it created keep it: a migration
 * it lists as applied is recorded by kysely without running again (see `eventStoreMigrations`).
 */
export const LEGACY_MIGRATION_TABLE = 'event_store_migration'

export const migrations: readonly Migration[] = [
  {
    version: 1,
    id: '0001-events-streams-append',
    name: 'events, streams, append function, immutability and notification triggers',
    sql: /* sql */ `
create table events (
  -- Global position: unique and increasing in insertion order, but NOT commit order, so readers of the whole
  -- log never page by it alone (see transaction_id).
  position        bigint generated always as identity primary key,
  -- The writing transaction. (transaction_id, position) is the delivery order of $all: a reader only goes
  -- past transactions that can no longer commit anything (see READ_ALL in queries.ts).
  transaction_id  xid8 not null default pg_current_xact_id(),
  stream_id       text not null,
  revision        bigint not null check (revision >= 0),
  event_id        uuid not null,
  type            text not null,
  schema_version  integer not null,
  data            jsonb not null,
  metadata        jsonb not null,
  recorded_at     timestamptz not null default now(),
  constraint events_event_id_key unique (event_id),
  constraint events_stream_revision_key unique (stream_id, revision)
);

create index events_delivery_order_idx on events (transaction_id, position);

-- One row per stream, so an append checks and bumps the revision with a single locked row instead of
-- scanning the stream. last_transaction_id is the transaction of the stream's newest event (see the guard in
-- event_store_append).
create table streams (
  stream_id            text primary key,
  revision             bigint not null,
  last_transaction_id  xid8 not null
);

-- The whole append in one statement, so it costs one round trip (Marten's mt_append_event does the same).
-- p_expected is 'any', 'no_stream', 'stream_exists' or a revision in decimal; p_events is a JSON array of
-- {eventId, type, schemaVersion, data, metadata} in stream order.
-- Errors the adapter maps: ESWER wrong expected revision (detail: actual revision or 'no_stream'),
-- ESDUP event id stored elsewhere (detail: the id), 40001 retry in a fresh transaction.
--
-- The common cases are two statements: bump (or create) the stream row, insert the events. A mismatch, a
-- retried append or a race is sorted out on the slower path, taken only when the fast one did not apply.
create function event_store_append(
  p_stream_id text,
  p_expected text,
  p_events jsonb,
  out next_revision bigint,
  out last_position bigint
)
language plpgsql
as $fn$
declare
  v_count        integer := jsonb_array_length(p_events);
  v_ids          uuid[];
  v_current      bigint;   -- the stream's last revision before this append; -1 while it does not exist
  v_last_tx      xid8;
  v_ready        boolean;  -- the stream row is locked (or created) and the expectation holds
  v_inserted     integer;
  v_found        integer;
  v_same_stream  boolean;
  v_base         bigint;
  v_base_max     bigint;
  v_duplicate    uuid;
begin
  if v_count = 1 then
    v_ids := array[(p_events->0->>'eventId')::uuid];
  else
    v_ids := array(select (x.e->>'eventId')::uuid
                     from jsonb_array_elements(p_events) with ordinality as x(e, ord)
                    order by x.ord);
  end if;

  loop
    -- Fast path. The row lock this takes is held until commit and serialises appends to one stream, which is
    -- what makes the expected-revision check trustworthy. A concurrent writer's lock makes us wait, after which
    -- the conditions are checked again against the row it committed.
    --
    -- last_transaction_id: $all is delivered in transaction-id order. Our transaction id may have been handed
    -- out before a younger transaction appended to this stream and committed; our events would then be
    -- delivered before that stream's earlier revisions. Such an append falls to the slow path and is refused
    -- with 40001, so the caller retries with a fresh (younger) transaction id.
    update streams
       set revision = revision + v_count,
           last_transaction_id = pg_current_xact_id()
     where stream_id = p_stream_id
       and last_transaction_id <= pg_current_xact_id()
       and (case p_expected
              when 'any' then true
              when 'stream_exists' then true
              when 'no_stream' then false
              else revision = p_expected::bigint
            end)
    returning revision - v_count into v_current;
    v_ready := found;

    if not v_ready and p_expected in ('any', 'no_stream') then
      -- Perhaps a new stream: creating its row takes the lock. A concurrent first append to the same stream
      -- makes this insert wait for that one and then do nothing; the checks below then run against its row.
      insert into streams (stream_id, revision, last_transaction_id)
      values (p_stream_id, v_count - 1, pg_current_xact_id())
      on conflict (stream_id) do nothing;
      v_ready := found;
      if v_ready then
        v_current := -1;
      end if;
    end if;

    if not v_ready then
      -- Slow path: find out why, holding the row.
      select s.revision, s.last_transaction_id into v_current, v_last_tx
        from streams s
       where s.stream_id = p_stream_id
         for update;
      if not found then
        v_current := -1;
      end if;

      -- A retried append (the client lost our answer and sent it again) finds its ids already stored, in this
      -- stream, one after another, where its expected revision put them: answer as the first time and write
      -- nothing. Any other place for a known id is a different append reusing an id, which is refused.
      -- (The CASE is in parentheses because PL/pgSQL ends an IF condition at the first bare THEN.)
      select count(*)::integer,
             bool_and(e.stream_id = p_stream_id),
             min(e.revision - (array_position(v_ids, e.event_id) - 1)),
             max(e.revision - (array_position(v_ids, e.event_id) - 1)),
             max(e.position)
        into v_found, v_same_stream, v_base, v_base_max, last_position
        from events e
       where e.event_id = any (v_ids);
      if v_found > 0 then
        if v_found = v_count and v_same_stream and v_base = v_base_max
           and (case p_expected
                  when 'any' then true
                  when 'stream_exists' then true
                  when 'no_stream' then v_base = 0
                  else v_base = p_expected::bigint + 1
                end)
        then
          next_revision := v_base + v_count - 1;
          return;
        end if;
        select e.event_id into v_duplicate
          from events e
         where e.event_id = any (v_ids)
         order by array_position(v_ids, e.event_id)
         limit 1;
        raise exception using
          errcode = 'ESDUP',
          message = format('event %s is already stored elsewhere (append to %s)', v_duplicate, p_stream_id),
          detail = v_duplicate::text;
      end if;

      if not (case p_expected
                when 'any' then true
                when 'no_stream' then v_current = -1
                when 'stream_exists' then v_current >= 0
                else v_current = p_expected::bigint
              end)
      then
        raise exception using
          errcode = 'ESWER',
          message = format('stream %s: expected revision %s, actual %s',
                           p_stream_id, p_expected, coalesce(nullif(v_current, -1)::text, 'no_stream')),
          detail = coalesce(nullif(v_current, -1)::text, 'no_stream');
      end if;

      if v_last_tx > pg_current_xact_id() then
        raise exception using
          errcode = '40001',
          message = format('stream %s was appended by a younger transaction; retry the append', p_stream_id);
      end if;

      -- Nothing is wrong after all: the row changed between our statements. Go round, now holding it.
      continue;
    end if;

    -- "do nothing" on a known id instead of an error, so a retried append under 'any' (which passed the
    -- fast path) can still be told apart from a reused id below.
    if v_count = 1 then
      insert into events (stream_id, revision, event_id, type, schema_version, data, metadata)
      values (p_stream_id, v_current + 1, v_ids[1], p_events->0->>'type',
              (p_events->0->>'schemaVersion')::integer, p_events->0->'data', p_events->0->'metadata')
      on conflict (event_id) do nothing
      returning position into last_position;
      get diagnostics v_inserted = row_count;
    else
      with inserted as (
        insert into events (stream_id, revision, event_id, type, schema_version, data, metadata)
        select p_stream_id, v_current + x.ord, (x.e->>'eventId')::uuid, x.e->>'type',
               (x.e->>'schemaVersion')::integer, x.e->'data', x.e->'metadata'
          from jsonb_array_elements(p_events) with ordinality as x(e, ord)
         order by x.ord
        on conflict (event_id) do nothing
        returning position
      )
      select count(*)::integer, max(position) into v_inserted, last_position from inserted;
    end if;

    if v_inserted < v_count then
      -- Some ids were stored already. When all of them are, one after another in this stream, and the
      -- expectation ('any' or 'stream_exists') names no place, this is the same append retried: put the
      -- stream row back and answer as the first time. Otherwise the raise undoes everything this call wrote.
      select count(*)::integer,
             bool_and(e.stream_id = p_stream_id),
             min(e.revision - (array_position(v_ids, e.event_id) - 1)),
             max(e.revision - (array_position(v_ids, e.event_id) - 1)),
             max(e.position)
        into v_found, v_same_stream, v_base, v_base_max, last_position
        from events e
       where e.event_id = any (v_ids);
      if v_inserted = 0 and v_found = v_count and v_same_stream and v_base = v_base_max
         and p_expected in ('any', 'stream_exists')
      then
        update streams set revision = v_current where stream_id = p_stream_id;
        next_revision := v_base + v_count - 1;
        return;
      end if;
      select e.event_id into v_duplicate
        from events e
       where e.event_id = any (v_ids) and (e.stream_id <> p_stream_id or e.revision <= v_current)
       order by array_position(v_ids, e.event_id)
       limit 1;
      raise exception using
        errcode = 'ESDUP',
        message = format('event %s is already stored elsewhere (append to %s)', v_duplicate, p_stream_id),
        detail = v_duplicate::text;
    end if;

    next_revision := v_current + v_count;
    return;
  end loop;
end
$fn$;

-- Events are facts: correcting one means appending another. The hash chain (DESIGN §6) shows changes made
-- around this, but refusing them here stops the honest mistake.
create function event_store_refuse_change() returns trigger
language plpgsql
as $fn$
begin
  raise exception using
    errcode = 'ESIMM',
    message = format('events are immutable: %s on table %I is refused', tg_op, tg_table_name),
    hint = 'Append a compensating event instead.';
end
$fn$;

create trigger events_refuse_update_delete
  before update or delete on events
  for each row execute function event_store_refuse_change();

create trigger events_refuse_truncate
  before truncate on events
  for each statement execute function event_store_refuse_change();

-- Wakes live subscribers at commit. The payload is empty: subscribers read what is new themselves, and
-- PostgreSQL folds a transaction's identical notifications into one.
create function event_store_notify() returns trigger
language plpgsql
as $fn$
begin
  perform pg_notify('event_store_appended', '');
  return null;
end
$fn$;

create trigger events_notify
  after insert on events
  for each statement execute function event_store_notify();
`,
  },
  {
    version: 2,
    id: '0002-notify-after-commit',
    name: 'drop the notification trigger: the store notifies after commit',
    sql: /* sql */ `
-- A notifying transaction takes a cluster-wide lock at commit and holds it through the WAL flush, so every
-- append serialised behind the one before it and concurrent appenders lost group commit (16 of them ran at
-- 0.28x of plain INSERTs). The store now sends the wake-up itself, outside the appending transaction, after it
-- commits (see notifier.ts); a subscriber's poll covers a lost or missing one.
drop trigger if exists events_notify on events;
drop function if exists event_store_notify();
`,
  },
]

/** Channel a store notifies after its appends commit, and live subscriptions LISTEN on (see notifier.ts). */
export const NOTIFY_CHANNEL = 'event_store_appended'

/**
 * `migrations` as kysely migrations. Each one first asks the legacy table: a version the old runner applied is
 * already in the schema, so it is only recorded. That check runs inside kysely's migration transaction and under
 * its advisory lock, so it is as safe against concurrent start-ups as the migrations themselves.
 */
export function eventStoreMigrations(): Record<string, KyselyMigration> {
  return Object.fromEntries(
    migrations.map((migration) => [
      migration.id,
      {
        async up(db: Kysely<unknown>) {
          if (await appliedByLegacyRunner(db, migration.version)) return
          await sql.raw(migration.sql).execute(db)
        },
      },
    ]),
  )
}

async function appliedByLegacyRunner(db: Kysely<unknown>, version: number): Promise<boolean> {
  // Asked first, apart: a statement naming a missing table fails at parse time and aborts the transaction.
  const { rows: found } = await sql<{ table: string | null }>`select to_regclass(${LEGACY_MIGRATION_TABLE})::text as table`.execute(db)
  if (!found[0]?.table) return false
  const { rows } = await sql`select 1 from ${sql.table(LEGACY_MIGRATION_TABLE)} where version = ${version}`.execute(db)
  return rows.length > 0
}

/**
 * Applies the migrations not yet applied; safe to call from several processes at once and on every start (kysely
 * runs them in one transaction under an advisory lock: a second process waits, then finds everything applied).
 * Returns the versions it applied, recorded-only legacy ones included (empty when the schema was already current).
 *
 * @example
 * await migrateEventStore(pool)
 */
export async function migrateEventStore(pool: pg.Pool): Promise<number[]> {
  // The pool is the caller's: kysely gets a view of it whose `end` does nothing.
  const db = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: { connect: () => pool.connect(), end: async () => undefined } }),
  })
  try {
    const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db)
    const migrator = new Migrator({
      db,
      provider: { getMigrations: async () => eventStoreMigrations() },
      migrationTableName: EVENT_STORE_MIGRATION_TABLE,
      migrationLockTableName: EVENT_STORE_MIGRATION_LOCK_TABLE,
      // Named, so kysely's "does the table exist" never finds another schema's copy.
      ...(rows[0]?.schema ? { migrationTableSchema: rows[0].schema } : {}),
    })
    const { error, results } = await migrator.migrateToLatest()
    // The error as pg raised it, unwrapped: the store maps an unreachable database to StoreUnavailableError by it.
    if (error) throw error
    const applied = new Set((results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName))
    return migrations.filter((m) => applied.has(m.id)).map((m) => m.version)
  } finally {
    await db.destroy()
  }
}
