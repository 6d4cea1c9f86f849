import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'

/**
 * Ed25519 keys that sign tree heads. Private keys travel as PKCS#8 PEM (`LEDGER_SIGNING_KEY`, the key file
 * in DATA_DIR), public keys as SPKI PEM (`GET /v1/ledger/public-key`, `cli verify --public-key`).
 */

export interface SigningKeyPair {
  privateKey: KeyObject
  publicKey: KeyObject
}

/**
 * A fresh Ed25519 key pair.
 *
 * @example
 * const { privateKey } = generateSigningKeyPair()
 * await writeFile(keyPath, exportPrivateKeyPem(privateKey), { mode: 0o600 })
 */
export function generateSigningKeyPair(): SigningKeyPair {
  return generateKeyPairSync('ed25519')
}

function assertEd25519(key: KeyObject, type: 'private' | 'public'): KeyObject {
  if (key.type !== type || key.asymmetricKeyType !== 'ed25519') {
    throw new TypeError(`expected an Ed25519 ${type} key, got a ${key.asymmetricKeyType ?? key.type} ${key.type} key`)
  }
  return key
}

/** Loads a PKCS#8 PEM private key; throws TypeError unless it is Ed25519. */
export function loadPrivateKeyPem(pem: string): KeyObject {
  return assertEd25519(createPrivateKey({ key: pem, format: 'pem' }), 'private')
}

/** Loads an SPKI PEM public key; throws TypeError unless it is Ed25519. */
export function loadPublicKeyPem(pem: string): KeyObject {
  const key = createPublicKey({ key: pem, format: 'pem' })
  return assertEd25519(key, 'public')
}

export function exportPrivateKeyPem(privateKey: KeyObject): string {
  return assertEd25519(privateKey, 'private').export({ format: 'pem', type: 'pkcs8' }).toString()
}

export function exportPublicKeyPem(publicKey: KeyObject): string {
  return assertEd25519(publicKey, 'public').export({ format: 'pem', type: 'spki' }).toString()
}

/** The public half of a private key. */
export function publicKeyOf(privateKey: KeyObject): KeyObject {
  return createPublicKey(assertEd25519(privateKey, 'private'))
}

/**
 * A short stable name for a key: the first 16 hex digits of SHA-256 over its SPKI DER. A private key is
 * named after its public half.
 *
 * @example
 * keyIdOf(publicKey) // 'a1b2c3d4e5f60718'
 */
export function keyIdOf(key: KeyObject): string {
  const publicKey = key.type === 'private' ? publicKeyOf(key) : assertEd25519(key, 'public')
  const der = publicKey.export({ format: 'der', type: 'spki' })
  return createHash('sha256').update(der).digest('hex').slice(0, 16)
}
