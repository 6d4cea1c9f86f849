import type { KeyObject } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  DEFAULT_LEDGER_ORIGIN,
  exportPrivateKeyPem,
  exportPublicKeyPem,
  generateSigningKeyPair,
  keyIdOf,
  loadPrivateKeyPem,
  publicKeyOf,
} from '@pc/ledger'
import { SIGNING_KEY_FILE } from './ledger.constants.js'

/** The key that signs tree heads and the log it signs them for, with what publishing and verifying need. */
export interface LedgerSigner {
  /** `LEDGER_ORIGIN`: the log identity every head it signs names (and its signature covers). */
  origin: string
  privateKey: KeyObject
  publicKey: KeyObject
  /** `keyIdOf` the key: the first 16 hex digits of SHA-256 over its SPKI DER. */
  keyId: string
  /** SPKI PEM, as `GET /v1/ledger/public-key` serves it. */
  publicKeyPem: string
}

/** A logger with `info` (pino fits). */
export interface InfoLogger {
  info(obj: object, msg?: string): void
}

/** A signer for the log `origin` from an Ed25519 PKCS#8 PEM private key. */
export function signerFromPem(pem: string, origin: string = DEFAULT_LEDGER_ORIGIN): LedgerSigner {
  // A PEM squeezed into one environment variable line often arrives with literal "\n"s.
  const privateKey = loadPrivateKeyPem(pem.includes('\\n') ? pem.replaceAll('\\n', '\n') : pem)
  const publicKey = publicKeyOf(privateKey)
  return { origin, privateKey, publicKey, keyId: keyIdOf(publicKey), publicKeyPem: exportPublicKeyPem(publicKey) }
}

/** Where the embedded default keeps its generated signing key. */
export function signingKeyFile(dataDir: string): string {
  return join(dataDir, SIGNING_KEY_FILE)
}

/**
 * The ledger's signing key: `LEDGER_SIGNING_KEY` (an Ed25519 PKCS#8 PEM) when set, else the key generated once into
 * `DATA_DIR/ledger-signing-key.pem` (mode 0600) and reused on every start. Generating one is logged with its key
 * id, because every head signed from then on is only as trustworthy as that file: production sets the variable.
 *
 * @example
 * const signer = await loadOrCreateSigningKey({ pem: env.LEDGER_SIGNING_KEY, dataDir: config.dataDir, log: logger })
 */
export async function loadOrCreateSigningKey(options: {
  pem?: string | undefined
  dataDir: string
  log: InfoLogger
  /** `LEDGER_ORIGIN` (default `DEFAULT_LEDGER_ORIGIN`). */
  origin?: string
}): Promise<LedgerSigner> {
  const origin = options.origin ?? DEFAULT_LEDGER_ORIGIN
  if (options.pem !== undefined && options.pem.trim() !== '') return signerFromPem(options.pem, origin)
  const file = signingKeyFile(options.dataDir)
  const existing = await readKeyFile(file)
  if (existing) return signerFromPem(existing, origin)
  await mkdir(options.dataDir, { recursive: true })
  const { privateKey } = generateSigningKeyPair()
  const pem = exportPrivateKeyPem(privateKey)
  try {
    // `wx`: two processes starting at once must not each write their own key; the loser reads the winner's.
    await writeFile(file, pem, { mode: 0o600, flag: 'wx' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    for (let attempt = 0; attempt < 20; attempt++) {
      const winner = await readKeyFile(file)
      if (winner?.includes('END PRIVATE KEY')) return signerFromPem(winner, origin)
      await new Promise((done) => setTimeout(done, 10))
    }
    throw new Error(`${file} exists but holds no complete key`, { cause: error })
  }
  const signer = signerFromPem(pem, origin)
  options.log.info(
    { file, keyId: signer.keyId },
    'generated a new ledger signing key (set LEDGER_SIGNING_KEY to use your own; keep this file safe)',
  )
  return signer
}

/** A new key file written beside the current one, put in its place only once the rotation committed. */
export interface StagedSigningKeyFile {
  file: string
  commit(): Promise<void>
  discard(): Promise<void>
}

/**
 * Writes `privateKey` to `DATA_DIR/ledger-signing-key.pem.next` (mode 0600); `commit` renames it over the key file.
 *
 * @example
 * const staged = await stageSigningKeyFile(dataDir, next.privateKey)
 * try { await rotateSigningKey(db, next); await staged.commit() } finally { await staged.discard() }
 */
export async function stageSigningKeyFile(dataDir: string, privateKey: KeyObject): Promise<StagedSigningKeyFile> {
  const file = signingKeyFile(dataDir)
  const next = `${file}.next`
  await mkdir(dataDir, { recursive: true })
  await writeFile(next, exportPrivateKeyPem(privateKey), { mode: 0o600 })
  return { file, commit: () => rename(next, file), discard: () => rm(next, { force: true }) }
}

async function readKeyFile(file: string): Promise<string | undefined> {
  try {
    const text = await readFile(file, 'utf8')
    return text.trim() === '' ? undefined : text
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}
