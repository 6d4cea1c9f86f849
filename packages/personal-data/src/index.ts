/**
 * `@pc/personal-data`: personal data per data subject (DESIGN §7) — AES-256-GCM envelopes under a data key per
 * subject, data keys wrapped by the master key (`PII_MASTER_KEY`) in PostgreSQL, forgetting by destroying keys.
 *
 * @example
 * const vault = await PersonalDataVault.open(db, await ensureMasterKey({ piiMasterKey, dataDir }))
 * const sealed = await vault.seal(subjectId, { name, phone })
 */
export {
  PersonalDataVault,
  MasterKeyMismatchError,
  migratePersonalData,
  PERSONAL_DATA_MIGRATION_TABLE,
  PERSONAL_DATA_MIGRATION_LOCK_TABLE,
  type ForgetOutcome,
  type PersonalDataTables,
  type PersonalDataKeysTable,
} from './vault.js'
export {
  decodeMasterKey,
  encodeMasterKey,
  ensureMasterKey,
  masterKeyFile,
  masterKeyOf,
  newMasterKey,
  readMasterKeyFrom,
  stageMasterKeyFile,
  type StagedMasterKeyFile,
  type MasterKey,
} from './master-key.js'
