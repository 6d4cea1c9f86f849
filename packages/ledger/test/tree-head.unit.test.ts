import t from 'tap'
import { createHash, generateKeyPairSync, sign } from 'node:crypto'
import {
  DEFAULT_LEDGER_ORIGIN,
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
  treeHeadVersion,
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

t.test('version 2 signs a context line and the canonical JSON of { version, origin, treeSize, rootHash, timestamp }', async (t) => {
  const h = head()
  t.equal(h.version, 2)
  t.equal(h.origin, DEFAULT_LEDGER_ORIGIN)
  t.equal(
    treeHeadSigningInput({ ...h, signature: 'x', keyId: 'y' } as SignedTreeHead).toString('utf8'),
    'pc-ledger/tree-head/v2\n' + canonicalJson({ origin: h.origin, rootHash: h.rootHash, timestamp: h.timestamp, treeSize: h.treeSize, version: 2 }),
  )
  t.match(
    treeHeadSigningInput(h).toString('utf8'),
    /^pc-ledger\/tree-head\/v2\n\{"origin":"property-cases","rootHash":"[0-9a-f]{64}","timestamp":"2024-05-01T08:30:00.000Z","treeSize":"5","version":2\}$/,
  )
  t.equal(treeHead(5n, h.rootHash, h.timestamp, 'cases.estate-a.example').origin, 'cases.estate-a.example')
  for (const origin of ['', ' leading', 'trailing ', 'new\nline', 'x'.repeat(256), '住宅']) {
    t.throws(() => treeHead(5n, h.rootHash, h.timestamp, origin), TypeError, `origin ${JSON.stringify(origin)} refused`)
  }
})

t.test('the origin is bound: a head of another deployment signed with the same key is not ours', async (t) => {
  const ours = signTreeHead(treeHead(5n, head().rootHash, head().timestamp, 'cases.estate-a.example'), privateKey)
  const theirs = signTreeHead(treeHead(5n, head().rootHash, head().timestamp, 'cases.estate-b.example'), privateKey)
  t.same(verifyTreeHead(ours, publicKey, { origin: 'cases.estate-a.example' }), { ok: true })
  t.match(verifyTreeHead(theirs, publicKey, { origin: 'cases.estate-a.example' }), {
    ok: false,
    problem: 'wrong_origin',
    detail: 'head belongs to the log "cases.estate-b.example", not "cases.estate-a.example"',
  })
  t.match(verifyTreeHead({ ...theirs, origin: 'cases.estate-a.example' }, publicKey, { origin: 'cases.estate-a.example' }), { ok: false, problem: 'bad_signature' }, 'relabelling the origin breaks the signature')
  t.match(verifyTreeHead({ ...ours, version: 3 } as unknown as SignedTreeHead, publicKey), { ok: false, problem: 'malformed' }, 'an unknown version')
  t.match(verifyTreeHead({ ...ours, origin: undefined } as SignedTreeHead, publicKey), { ok: false, problem: 'malformed' }, 'version 2 without an origin')
  t.match(verifyTreeHead({ ...ours, version: undefined } as SignedTreeHead, publicKey), { ok: false, problem: 'malformed' }, 'an origin on a version 1 head')
  // Stripping the version and origin (a downgrade to version 1) leaves bytes the signature never covered.
  const { version: _v, origin: _o, ...downgraded } = ours
  t.match(verifyTreeHead(downgraded as SignedTreeHead, publicKey), { ok: false, problem: 'bad_signature' }, 'a downgrade to version 1')
  // Another JSON object signed with the key (here: a version 1 head's bytes) is not a version 2 head.
  const legacyBytes = canonicalJson({ rootHash: ours.rootHash, timestamp: ours.timestamp, treeSize: ours.treeSize })
  const crossSigned = { ...ours, signature: sign(null, Buffer.from(legacyBytes), privateKey).toString('base64') }
  t.match(verifyTreeHead(crossSigned, publicKey), { ok: false, problem: 'bad_signature' }, 'a signature over other bytes')
})

t.test('version 1 heads (signed before the origin existed) still verify, over their own bytes', async (t) => {
  const h = head()
  const legacy = { treeSize: h.treeSize, rootHash: h.rootHash, timestamp: h.timestamp }
  t.equal(treeHeadSigningInput(legacy).toString('utf8'), canonicalJson(legacy))
  // As a head signed before issue 16 was made: a signature over exactly those three fields.
  const signature = sign(null, Buffer.from(canonicalJson(legacy)), privateKey).toString('base64')
  const old: SignedTreeHead = { ...legacy, signature, keyId: keyIdOf(publicKey) }
  t.same(verifyTreeHead(old, publicKey), { ok: true })
  t.same(verifyTreeHead(old, publicKey, { origin: 'cases.estate-a.example' }), { ok: true }, 'it names no origin, so none can be checked')
  t.equal(treeHeadVersion(old), 1)
  t.same(signTreeHead(legacy, privateKey), old, 'signTreeHead signs a head without a version in version 1')
  t.match(verifyTreeHead({ ...old, treeSize: '6' }, publicKey), { ok: false, problem: 'bad_signature' })
})

t.test('sign and verify; every tampered field fails', async (t) => {
  const signed = signTreeHead(head(), privateKey)
  t.same(Object.keys(signed).sort(), ['keyId', 'origin', 'rootHash', 'signature', 'timestamp', 'treeSize', 'version'])
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
