import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
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

/** Replaces the generated key file (after a rotation), atomically. */
export async function writeMasterKeyFile(dataDir: string, key: Buffer): Promise<string> {
  const file = masterKeyFile(dataDir)
  const next = `${file}.next`
  await writeFile(next, `${encodeMasterKey(key)}\n`, { mode: 0o600 })
  await rename(next, file)
  return file
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
