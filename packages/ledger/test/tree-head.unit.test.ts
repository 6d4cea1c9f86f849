import t from 'tap'
import { createHash, generateKeyPairSync } from 'node:crypto'
import {
  MemoryMerkleTree,
  canonicalJson,
  exportPrivateKeyPem,
  exportPublicKeyPem,
  generateSigningKeyPair,
  keyIdOf,
  loadPrivateKeyPem,
  loadPublicKeyPem,
  publicKeyOf,
  signTreeHead,
  toHex,
  treeHead,
  treeHeadSigningInput,
  verifyTreeHead,
  type SignedTreeHead,
} from '../src/index.js'

const { privateKey, publicKey } = generateSigningKeyPair()

function head() {
  const tree = new MemoryMerkleTree()
  for (let i = 0; i < 5; i++) tree.append(createHash('sha256').update(String(i)).digest())
  return treeHead(tree.size, tree.root(), new Date(Date.UTC(2024, 4, 1, 8, 30)))
}

t.test('treeHead builds the string form', async (t) => {
  const h = head()
  t.equal(h.treeSize, '5')
  t.match(h.rootHash, /^[0-9a-f]{64}$/)
  t.equal(h.timestamp, '2024-05-01T08:30:00.000Z')
  t.same(treeHead(0n, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', '2024-05-01T08:30:00Z').treeSize, '0')
  t.throws(() => treeHead(-1n, h.rootHash, h.timestamp), TypeError, 'negative size')
  t.throws(() => treeHead(1n, 'ABC', h.timestamp), TypeError, 'bad root')
  t.throws(() => treeHead(1n, h.rootHash, 'yesterday'), TypeError, 'bad timestamp')
})

t.test('the signature covers the canonical JSON of exactly { treeSize, rootHash, timestamp }', async (t) => {
  const h = head()
  t.equal(
    treeHeadSigningInput({ ...h, signature: 'x', keyId: 'y' } as SignedTreeHead).toString('utf8'),
    canonicalJson({ rootHash: h.rootHash, timestamp: h.timestamp, treeSize: h.treeSize }),
  )
  t.match(treeHeadSigningInput(h).toString('utf8'), /^\{"rootHash":"[0-9a-f]{64}","timestamp":"2024-05-01T08:30:00.000Z","treeSize":"5"\}$/)
})

t.test('sign and verify; every tampered field fails', async (t) => {
  const signed = signTreeHead(head(), privateKey)
  t.same(Object.keys(signed).sort(), ['keyId', 'rootHash', 'signature', 'timestamp', 'treeSize'])
  t.equal(signed.keyId, keyIdOf(publicKey))
  t.equal(Buffer.from(signed.signature, 'base64').length, 64, 'an Ed25519 signature')
  t.same(verifyTreeHead(signed, publicKey), { ok: true })
  t.same(verifyTreeHead(JSON.parse(JSON.stringify(signed)) as SignedTreeHead, publicKey), { ok: true }, 'survives JSON')

  const flippedRoot = signed.rootHash.replace(/^./, (c) => (c === '0' ? '1' : '0'))
  t.match(verifyTreeHead({ ...signed, treeSize: '6' }, publicKey), { ok: false, problem: 'bad_signature' }, 'treeSize')
  t.match(verifyTreeHead({ ...signed, rootHash: flippedRoot }, publicKey), { ok: false, problem: 'bad_signature' }, 'rootHash')
  t.match(verifyTreeHead({ ...signed, timestamp: '2024-05-01T08:30:01.000Z' }, publicKey), { ok: false, problem: 'bad_signature' }, 'timestamp')
  const sig = Buffer.from(signed.signature, 'base64')
  sig[10] = (sig[10] ?? 0) ^ 1
  t.match(verifyTreeHead({ ...signed, signature: sig.toString('base64') }, publicKey), { ok: false, problem: 'bad_signature' }, 'signature bit')
  t.match(verifyTreeHead({ ...signed, signature: '' }, publicKey), { ok: false }, 'empty signature')
  t.match(verifyTreeHead({ ...signed, signature: 'not base64!' }, publicKey), { ok: false, problem: 'malformed' })
  t.match(verifyTreeHead({ ...signed, treeSize: '05' }, publicKey), { ok: false, problem: 'malformed' }, 'non-canonical size')
  t.match(verifyTreeHead({ ...signed, treeSize: 5 } as unknown as SignedTreeHead, publicKey), { ok: false, problem: 'malformed' }, 'number size')

  const other = generateSigningKeyPair()
  t.match(verifyTreeHead(signed, other.publicKey), { ok: false, problem: 'key_mismatch' }, 'another key')
  const resigned = signTreeHead(head(), other.privateKey, signed.keyId) // lies about its keyId
  t.match(verifyTreeHead(resigned, publicKey), { ok: false, problem: 'bad_signature' }, 'a forger reusing our keyId')
})

t.test('keys: PEM round trip, key ids, type checks', async (t) => {
  const privatePem = exportPrivateKeyPem(privateKey)
  const publicPem = exportPublicKeyPem(publicKey)
  t.match(privatePem, /^-----BEGIN PRIVATE KEY-----/)
  t.match(publicPem, /^-----BEGIN PUBLIC KEY-----/)
  const loadedPrivate = loadPrivateKeyPem(privatePem)
  const loadedPublic = loadPublicKeyPem(publicPem)
  t.equal(exportPublicKeyPem(publicKeyOf(loadedPrivate)), publicPem)
  t.same(verifyTreeHead(signTreeHead(head(), loadedPrivate), loadedPublic), { ok: true })

  t.match(keyIdOf(publicKey), /^[0-9a-f]{16}$/)
  t.equal(keyIdOf(publicKey), createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('hex').slice(0, 16))
  t.equal(keyIdOf(privateKey), keyIdOf(publicKey), 'a private key is named after its public half')
  t.not(keyIdOf(generateSigningKeyPair().publicKey), keyIdOf(publicKey))

  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
  t.throws(() => loadPrivateKeyPem(rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()), TypeError, 'RSA refused')
  t.throws(() => verifyTreeHead(signTreeHead(head(), privateKey), rsa.publicKey), TypeError)
  t.throws(() => signTreeHead(head(), publicKey), TypeError, 'cannot sign with a public key')
  t.throws(() => signTreeHead({ ...head(), rootHash: 'nope' }, privateKey), TypeError, 'refuses to sign a malformed head')
  t.equal(toHex(new Uint8Array([0, 255])), '00ff')
})
