import { randomBytes } from 'node:crypto'
import { ERASED, Sealed, type Erased, type JsonObject } from '@pc/contracts'
import { Migrator, sql, type Generated, type Kysely, type Migration } from 'kysely'
import { gcmOpen, gcmSeal, KEY_BYTES, packBox, unpackBox } from './crypto.js'
import type { MasterKey } from './master-key.js'

/**
 * The data keys, one row per subject and generation (a subject gets a new generation after each forget). Never in
 * the event store: destroying a row's `wrapped` is what forgets, while every event stays byte for byte.
 */
export interface PersonalDataKeysTable {
  key_id: string
  subject_id: string
  generation: number
  /** iv ‖ tag ‖ AES-256-GCM(master, data key); null once destroyed. */
  wrapped: Buffer | null
  /** The master key's fingerprint; null once destroyed. */
  master_key_id: string | null
  created_at: Generated<Date>
  destroyed_at: Date | null
}

export interface PersonalDataTables {
  personal_data_keys: PersonalDataKeysTable
}

export const PERSONAL_DATA_MIGRATION_TABLE = 'personal_data_migrations'
export const PERSONAL_DATA_MIGRATION_LOCK_TABLE = 'personal_data_migrations_lock'

const migrations: Readonly<Record<string, Migration>> = {
  '0001_personal_data_keys': {
    async up(db) {
      await sql`
        create table personal_data_keys (
          key_id         text primary key,
          subject_id     text not null,
          generation     integer not null,
          wrapped        bytea,
          master_key_id  text,
          created_at     timestamptz not null default now(),
          destroyed_at   timestamptz,
          unique (subject_id, generation),
          check ((wrapped is null) = (destroyed_at is not null))
        )`.execute(db)
    },
  },
}

/** The key store's tables at the latest migration; safe to run from several processes at once. */
export async function migratePersonalData(db: Kysely<PersonalDataTables>): Promise<void> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db)
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...migrations }) },
    migrationTableName: PERSONAL_DATA_MIGRATION_TABLE,
    migrationLockTableName: PERSONAL_DATA_MIGRATION_LOCK_TABLE,
    ...(rows[0]?.schema ? { migrationTableSchema: rows[0].schema } : {}),
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName
    throw new Error(`personal-data migration ${failed ?? '(setup)'} failed: ${String(error)}`, { cause: error })
  }
}

/** The master key given does not open the stored data keys: a configuration error, never garbage. */
export class MasterKeyMismatchError extends Error {
  override readonly name = 'MasterKeyMismatchError'
}

/** What a forget found. */
export type ForgetOutcome =
  /** The subject never had personal data here. */
  | { kind: 'unknown' }
  /** Keys destroyed now (`keys` live generations). */
  | { kind: 'forgotten'; keys: number }
  /** Nothing live: forgotten before, and nothing new since. */
  | { kind: 'already_forgotten' }

const b64 = (bytes: Buffer) => bytes.toString('base64url')
const unb64 = (text: string) => Buffer.from(text, 'base64url')
const aadOf = (subject: string, keyId: string) => `pc-personal:${subject}\u0000${keyId}`

/**
 * Personal data per data subject (DESIGN §7): seals values into envelopes under the subject's current data key,
 * opens them while the key exists, and forgets a subject by destroying its keys (crypto-shredding). Holds no
 * unwrapped key between calls, so a forget in one process is seen by every other at its next read.
 *
 * @example
 * const vault = await PersonalDataVault.open(db, master)
 * const sealed = await vault.seal('resident-7', { name: 'Li Wei', phone: '138 0000 0000' })
 * await vault.openAll([sealed]) // [{ name: 'Li Wei', phone: '138 0000 0000' }]
 * await vault.forget('resident-7')
 * await vault.openAll([sealed]) // [{ erased: true }]
 */
export class PersonalDataVault {
  private constructor(
    readonly db: Kysely<PersonalDataTables>,
    readonly master: MasterKey,
  ) {}

  /**
   * Migrates the key store and checks that `master` wraps the keys already there (their recorded fingerprint
   * and one unwrap); a mismatch is a `MasterKeyMismatchError` naming both fingerprints.
   */
  static async open(db: Kysely<PersonalDataTables>, master: MasterKey): Promise<PersonalDataVault> {
    await migratePersonalData(db)
    const vault = new PersonalDataVault(db, master)
    await vault.#checkMaster()
    return vault
  }

  /** Seals `value` for `subject` under its current key, making one (a new generation after a forget) if needed. */
  async seal(subject: string, value: JsonObject): Promise<Sealed> {
    const { keyId, dataKey } = await this.#currentKey(subject)
    const box = gcmSeal(dataKey, Buffer.from(JSON.stringify(value), 'utf8'), aadOf(subject, keyId))
    return Sealed.parse({ subject, keyId, iv: b64(box.iv), ciphertext: b64(box.ciphertext), tag: b64(box.tag) })
  }

  /** Every envelope opened, in order: its value, or `{ erased: true }` when its key is gone. One query in all. */
  async openAll(sealed: readonly Sealed[]): Promise<Array<JsonObject | Erased>> {
    if (sealed.length === 0) return []
    const keyIds = [...new Set(sealed.map((s) => s.keyId))]
    const rows = await this.db
      .selectFrom('personal_data_keys')
      .select(['key_id', 'subject_id', 'wrapped'])
      .where('key_id', 'in', keyIds)
      .execute()
    const keys = new Map(rows.map((row) => [row.key_id, row]))
    return sealed.map((envelope) => {
      const row = keys.get(envelope.keyId)
      // A key that never existed here (an envelope copied from another deployment) opens as nothing too.
      if (!row || row.wrapped === null || row.subject_id !== envelope.subject) return ERASED
      const dataKey = this.#unwrap(row.key_id, row.wrapped)
      const box = { iv: unb64(envelope.iv), ciphertext: unb64(envelope.ciphertext), tag: unb64(envelope.tag) }
      return JSON.parse(gcmOpen(dataKey, box, aadOf(envelope.subject, envelope.keyId)).toString('utf8')) as JsonObject
    })
  }

  /** Whether the subject has, or had, personal data here. */
  async isKnown(subject: string): Promise<boolean> {
    const row = await this.db.selectFrom('personal_data_keys').select('key_id').where('subject_id', '=', subject).limit(1).executeTakeFirst()
    return row !== undefined
  }

  /**
   * Destroys every live key of `subject`. The envelopes under them can never be opened again; a later `seal` for
   * the same subject starts a new generation. Afterwards the table is vacuumed so the dead row versions holding
   * the wrapped keys are reclaimed rather than kept until autovacuum.
   */
  async forget(subject: string): Promise<ForgetOutcome> {
    const destroyed = await this.db
      .updateTable('personal_data_keys')
      .set({ wrapped: null, master_key_id: null, destroyed_at: sql`now()` })
      .where('subject_id', '=', subject)
      .where('destroyed_at', 'is', null)
      .executeTakeFirst()
    const keys = Number(destroyed.numUpdatedRows)
    if (keys > 0) {
      await sql`vacuum personal_data_keys`.execute(this.db).catch(() => undefined)
      return { kind: 'forgotten', keys }
    }
    return (await this.isKnown(subject)) ? { kind: 'already_forgotten' } : { kind: 'unknown' }
  }

  /**
   * Re-wraps every live data key under `next` in one transaction, without touching an envelope or an event.
   * Returns how many keys were re-wrapped. Afterwards only `next` opens the store.
   */
  async rotateMasterKey(next: MasterKey): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom('personal_data_keys')
        .select(['key_id', 'wrapped'])
        .where('wrapped', 'is not', null)
        .forUpdate()
        .execute()
      for (const row of rows) {
        const dataKey = this.#unwrap(row.key_id, row.wrapped!)
        await trx
          .updateTable('personal_data_keys')
          .set({ wrapped: packBox(gcmSeal(next.key, dataKey, row.key_id)), master_key_id: next.id })
          .where('key_id', '=', row.key_id)
          .execute()
      }
      return rows.length
    })
  }

  async #currentKey(subject: string): Promise<{ keyId: string; dataKey: Buffer }> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const latest = await this.db
        .selectFrom('personal_data_keys')
        .select(['key_id', 'wrapped', 'generation'])
        .where('subject_id', '=', subject)
        .orderBy('generation', 'desc')
        .limit(1)
        .executeTakeFirst()
      if (latest?.wrapped) return { keyId: latest.key_id, dataKey: this.#unwrap(latest.key_id, latest.wrapped) }
      const keyId = randomBytes(16).toString('hex')
      const dataKey = randomBytes(KEY_BYTES)
      // The generation after the one seen: a concurrent seal that inserted it first wins, and we take its key.
      const inserted = await this.db
        .insertInto('personal_data_keys')
        .values({
          key_id: keyId,
          subject_id: subject,
          generation: (latest?.generation ?? 0) + 1,
          wrapped: packBox(gcmSeal(this.master.key, dataKey, keyId)),
          master_key_id: this.master.id,
          destroyed_at: null,
        })
        .onConflict((oc) => oc.columns(['subject_id', 'generation']).doNothing())
        .returning('key_id')
        .executeTakeFirst()
      if (inserted) return { keyId, dataKey }
    }
    throw new Error('could not create a data key (too many concurrent writers for one subject)')
  }

  #unwrap(keyId: string, wrapped: Buffer): Buffer {
    try {
      return gcmOpen(this.master.key, unpackBox(wrapped), keyId)
    } catch (error) {
      throw new MasterKeyMismatchError(`the master key (${this.master.id}) does not open data key ${keyId}`, { cause: error })
    }
  }

  async #checkMaster(): Promise<void> {
    const other = await this.db
      .selectFrom('personal_data_keys')
      .select(['key_id', 'master_key_id', 'wrapped'])
      .where('wrapped', 'is not', null)
      .orderBy(sql`master_key_id = ${this.master.id}`)
      .limit(1)
      .executeTakeFirst()
    if (!other) return
    if (other.master_key_id !== this.master.id) {
      throw new MasterKeyMismatchError(
        `PII_MASTER_KEY (key id ${this.master.id}) is not the key the stored personal-data keys are wrapped with (key id ${other.master_key_id})`,
      )
    }
    this.#unwrap(other.key_id, other.wrapped!)
  }
}
