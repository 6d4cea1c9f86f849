import * as crypto from 'node:crypto'

// crypto.hash digests in one call, without a Hash object per digest: that matters when a verifier hashes every
// event of a log and twice as many tree nodes. It arrived in Node 20.12; older Node 20 falls back to createHash.
const oneShot: typeof crypto.hash | undefined = typeof crypto.hash === 'function' ? crypto.hash : undefined

/**
 * SHA-256 of `data` (a string as its UTF-8 bytes), as lowercase hex.
 *
 * @example
 * sha256Hex('') // 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
 */
export function sha256Hex(data: string | Uint8Array): string {
  return oneShot ? oneShot('sha256', data, 'hex') : crypto.createHash('sha256').update(data).digest('hex')
}

/** SHA-256 of `data`. */
export function sha256Digest(data: Uint8Array): Buffer {
  return oneShot ? oneShot('sha256', data, 'buffer') : crypto.createHash('sha256').update(data).digest()
}
