import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'

/** AES-256-GCM with a 96-bit random IV and a 128-bit tag (NIST SP 800-38D's recommended sizes). */
const ALGORITHM = 'aes-256-gcm'
const IV_BYTES = 12
const TAG_BYTES = 16
export const KEY_BYTES = 32

export interface GcmBox {
  iv: Buffer
  ciphertext: Buffer
  tag: Buffer
}

/** Encrypts `plaintext` under `key`, binding `aad` (which must be given again to open it). */
export function gcmSeal(key: Buffer, plaintext: Buffer, aad: string): GcmBox {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES })
  cipher.setAAD(Buffer.from(aad, 'utf8'))
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return { iv, ciphertext, tag: cipher.getAuthTag() }
}

/** Decrypts a box; throws when the key, the AAD or any byte is wrong (GCM authenticates all three). */
export function gcmOpen(key: Buffer, box: GcmBox, aad: string): Buffer {
  const decipher = createDecipheriv(ALGORITHM, key, box.iv, { authTagLength: TAG_BYTES })
  decipher.setAAD(Buffer.from(aad, 'utf8'))
  decipher.setAuthTag(box.tag)
  return Buffer.concat([decipher.update(box.ciphertext), decipher.final()])
}

/** A wrapped data key as one byte string: iv ‖ tag ‖ ciphertext. */
export function packBox(box: GcmBox): Buffer {
  return Buffer.concat([box.iv, box.tag, box.ciphertext])
}

export function unpackBox(bytes: Buffer): GcmBox {
  return { iv: bytes.subarray(0, IV_BYTES), tag: bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES), ciphertext: bytes.subarray(IV_BYTES + TAG_BYTES) }
}

/** A short public name of a key, never the key: the first 16 hex digits of its SHA-256. */
export function keyFingerprint(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16)
}
