import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { KEY_BYTES, keyFingerprint } from './crypto.js'

/** The key every data key is wrapped with (`PII_MASTER_KEY`), with its public fingerprint. */
export interface MasterKey {
  readonly key: Buffer
  /** `keyFingerprint(key)`: recorded with every wrapped key, so a wrong master key is named, not guessed. */
  readonly id: string
  /** Where it came from, for a log line (never the key). */
  readonly source: 'environment' | 'data-dir' | 'generated'
}

/** Where the embedded default keeps a generated master key. */
export function masterKeyFile(dataDir: string): string {
  return join(dataDir, 'pii-master-key')
}

/** Decodes a master key given as base64 (or base64url) of exactly 32 bytes; undefined when it is not one. */
export function decodeMasterKey(text: string): Buffer | undefined {
  const trimmed = text.trim()
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return undefined
  const bytes = Buffer.from(trimmed.replaceAll('-', '+').replaceAll('_', '/'), 'base64')
  return bytes.length === KEY_BYTES ? bytes : undefined
}

export function encodeMasterKey(key: Buffer): string {
  return key.toString('base64')
}

/** A fresh random master key. */
export function newMasterKey(): MasterKey {
  const key = randomBytes(KEY_BYTES)
  return { key, id: keyFingerprint(key), source: 'generated' }
}

export function masterKeyOf(key: Buffer, source: MasterKey['source']): MasterKey {
  return { key, id: keyFingerprint(key), source }
}

/**
 * The master key: `PII_MASTER_KEY` when set (already checked by the configuration), else the one generated once
 * into `DATA_DIR/pii-master-key` (mode 0600) and reused, like the JWT secret.
 *
 * @example
 * const master = await ensureMasterKey({ piiMasterKey: config.piiMasterKey, dataDir: config.dataDir })
 */
export async function ensureMasterKey(options: { piiMasterKey: Buffer | undefined; dataDir: string }): Promise<MasterKey> {
  if (options.piiMasterKey !== undefined) return masterKeyOf(options.piiMasterKey, 'environment')
  const file = masterKeyFile(options.dataDir)
  const existing = await readMasterKeyFile(file)
  if (existing) return masterKeyOf(existing, 'data-dir')
  await mkdir(options.dataDir, { recursive: true })
  const fresh = newMasterKey()
  try {
    // `wx`: two processes starting at once must not each write their own key; the loser reads the winner's.
    await writeFile(file, `${encodeMasterKey(fresh.key)}\n`, { mode: 0o600, flag: 'wx' })
    return fresh
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    for (let attempt = 0; attempt < 20; attempt++) {
      const winner = await readMasterKeyFile(file)
      if (winner) return masterKeyOf(winner, 'data-dir')
      await new Promise((done) => setTimeout(done, 10))
    }
    throw new Error(`${file} exists but holds no key`, { cause: error })
  }
}

/** A new key file written beside the current one, put in its place only when the rotation committed. */
export interface StagedMasterKeyFile {
  readonly file: string
  /** Moves the new key into place (atomically: a rename). */
  commit(): Promise<void>
  /** Drops the new key (the rotation failed; the current file still opens the store). */
  discard(): Promise<void>
}

/**
 * Stages a replacement for the generated key file (`cli rotate-master-key`). Written before the data keys are
 * re-wrapped, so the new key is on disk when they are: a crash between the two leaves `pii-master-key.next`
 * holding the key that opens them.
 */
export async function stageMasterKeyFile(dataDir: string, key: Buffer): Promise<StagedMasterKeyFile> {
  const file = masterKeyFile(dataDir)
  const next = `${file}.next`
  await writeFile(next, `${encodeMasterKey(key)}\n`, { mode: 0o600 })
  return {
    file,
    commit: () => rename(next, file),
    discard: () => rm(next, { force: true }),
  }
}

/** Reads a master key from a file (base64 of 32 bytes), as `cli rotate-master-key --new-key-file` is given it. */
export async function readMasterKeyFrom(file: string): Promise<Buffer> {
  const key = await readMasterKeyFile(file)
  if (!key) throw new Error(`${file} does not exist or is empty`)
  return key
}

async function readMasterKeyFile(file: string): Promise<Buffer | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  if (text.trim() === '') return undefined
  const key = decodeMasterKey(text)
  if (!key) throw new Error(`${file} does not hold a base64 key of 32 bytes`)
  return key
}
