import { sign, verify, type KeyObject } from 'node:crypto'
import { canonicalJson } from './canonical-json.js'
import { keyIdOf } from './signing-key.js'
import { toHex, type Hash } from './merkle.js'

/**
 * Signed tree heads (DESIGN §6): the ledger's periodic public commitment "the first `treeSize` events have
 * root `rootHash`". The signature is Ed25519 over the UTF-8 bytes of the RFC 8785 canonical JSON of exactly
 * `{ treeSize, rootHash, timestamp }`; `signature` and `keyId` ride alongside, unsigned (a wrong keyId is
 * still caught: verification checks it names the key given).
 */
export interface TreeHead {
  /** Number of leaves, as a decimal string (a bigint in JSON). */
  treeSize: string
  /** Lowercase hex root hash. */
  rootHash: string
  /** ISO 8601 time the head was made. */
  timestamp: string
}

export interface SignedTreeHead extends TreeHead {
  /** Base64 Ed25519 signature. */
  signature: string
  /** `keyIdOf` the signing key. */
  keyId: string
}

const TREE_SIZE_RE = /^(?:0|[1-9][0-9]*)$/
const ROOT_RE = /^[0-9a-f]{64}$/
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/
const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/

/** Why a head is malformed, or undefined when it is well-formed. */
function headProblem(head: unknown): string | undefined {
  if (head === null || typeof head !== 'object') return 'not an object'
  const { treeSize, rootHash, timestamp } = head as Record<string, unknown>
  if (typeof treeSize !== 'string' || !TREE_SIZE_RE.test(treeSize)) return `treeSize ${String(treeSize)} is not a decimal string`
  if (typeof rootHash !== 'string' || !ROOT_RE.test(rootHash)) return `rootHash ${String(rootHash)} is not 64 lowercase hex`
  if (typeof timestamp !== 'string' || !ISO_RE.test(timestamp) || Number.isNaN(Date.parse(timestamp))) {
    return `timestamp ${String(timestamp)} is not an ISO 8601 time`
  }
  return undefined
}

/**
 * Builds a head from tree values.
 *
 * @example
 * const head = treeHead(frontier.size, frontierRoot(frontier), new Date())
 */
export function treeHead(treeSize: bigint, rootHash: Hash | string, timestamp: Date | string): TreeHead {
  const head = {
    treeSize: treeSize.toString(),
    rootHash: typeof rootHash === 'string' ? rootHash : toHex(rootHash),
    timestamp: typeof timestamp === 'string' ? timestamp : timestamp.toISOString(),
  }
  const problem = headProblem(head)
  if (problem) throw new TypeError(`treeHead: ${problem}`)
  return head
}

/** The bytes a head's signature covers. */
export function treeHeadSigningInput(head: TreeHead): Buffer {
  return Buffer.from(canonicalJson({ treeSize: head.treeSize, rootHash: head.rootHash, timestamp: head.timestamp }), 'utf8')
}

/**
 * Signs a head with an Ed25519 private key. Extra properties of `head` are dropped.
 *
 * @example
 * const signed = signTreeHead(treeHead(size, root, new Date()), privateKey)
 */
export function signTreeHead(head: TreeHead, privateKey: KeyObject, keyId: string = keyIdOf(privateKey)): SignedTreeHead {
  const problem = headProblem(head)
  if (problem) throw new TypeError(`signTreeHead: ${problem}`)
  if (privateKey.asymmetricKeyType !== 'ed25519' || privateKey.type !== 'private') {
    throw new TypeError('signTreeHead: an Ed25519 private key is required')
  }
  const signature = sign(null, treeHeadSigningInput(head), privateKey).toString('base64')
  return { treeSize: head.treeSize, rootHash: head.rootHash, timestamp: head.timestamp, signature, keyId }
}

export type TreeHeadCheck =
  | { ok: true }
  | {
      ok: false
      /** `malformed`: fields fail their formats; `key_mismatch`: keyId names another key; `bad_signature`: forged or altered. */
      problem: 'malformed' | 'key_mismatch' | 'bad_signature'
      detail: string
    }

/**
 * Checks a signed head against a public key. Never throws for a bad head (it may come from a file);
 * throws TypeError only if `publicKey` is not an Ed25519 public key.
 *
 * @example
 * const check = verifyTreeHead(signed, loadPublicKeyPem(pem))
 * if (!check.ok) fail(check.detail)
 */
export function verifyTreeHead(signed: SignedTreeHead, publicKey: KeyObject): TreeHeadCheck {
  if (publicKey.asymmetricKeyType !== 'ed25519' || publicKey.type !== 'public') {
    throw new TypeError('verifyTreeHead: an Ed25519 public key is required')
  }
  const problem = headProblem(signed)
  if (problem) return { ok: false, problem: 'malformed', detail: problem }
  const { signature, keyId } = signed
  if (typeof signature !== 'string' || !BASE64_RE.test(signature) || signature.length % 4 !== 0) {
    return { ok: false, problem: 'malformed', detail: 'signature is not base64' }
  }
  const expectedKeyId = keyIdOf(publicKey)
  if (keyId !== expectedKeyId) {
    return { ok: false, problem: 'key_mismatch', detail: `head was signed by key ${String(keyId)}, not ${expectedKeyId}` }
  }
  const valid = verify(null, treeHeadSigningInput(signed), publicKey, Buffer.from(signature, 'base64'))
  return valid ? { ok: true } : { ok: false, problem: 'bad_signature', detail: 'signature does not match the head' }
}
