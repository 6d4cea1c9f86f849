import t from 'tap'
import {
  ChainVerifier,
  ZERO_HASH,
  canonicalJson,
  hashEvent,
  sealEvents,
  sha256Hex,
  verifyChain,
  verifyChainAsync,
  type HashableEvent,
} from '../src/index.js'

const metadata = (n: number) => ({
  actor: { id: 'manager-1', roles: ['manager'] },
  occurredAt: `2024-05-01T08:00:0${n % 10}.000Z`,
  correlationId: `corr-${n}`,
  causationId: null,
})

function unsealed(n: number) {
  return { eventId: `evt-${n}`, type: 'CaseNoteAdded', schemaVersion: 1, data: { note: `note ${n}`, n }, metadata: metadata(n) }
}

/** Seals `count` events for one stream and gives them their stored shape (streamId + revision). */
function stream(streamId: string, count: number, offset = 0): HashableEvent[] {
  const events = Array.from({ length: count }, (_, i) => unsealed(offset + i))
  return sealEvents(streamId, 0n, ZERO_HASH, events).map((e, i) => ({ ...e, streamId, revision: BigInt(i) }))
}

/** Interleaves streams the way a position-ordered read of $all would. */
function interleave(...streams: HashableEvent[][]): HashableEvent[] {
  const out: HashableEvent[] = []
  for (let i = 0; i < Math.max(...streams.map((s) => s.length)); i++) {
    for (const s of streams) {
      const e = s[i]
      if (e) out.push(e)
    }
  }
  return out
}

t.test('sha256Hex and ZERO_HASH', async (t) => {
  t.equal(sha256Hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  t.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  t.equal(sha256Hex('物业'), sha256Hex(Buffer.from('物业', 'utf8')), 'strings hash as UTF-8')
  t.equal(ZERO_HASH, '0'.repeat(64))
})

t.test('hashEvent hashes the canonical JSON of the documented shape, ignoring metadata.hash', async (t) => {
  const e = { ...unsealed(1), streamId: 'case-1', revision: 7n, metadata: { ...metadata(1), prevHash: ZERO_HASH } }
  const expected = sha256Hex(
    canonicalJson({
      streamId: 'case-1',
      revision: '7',
      eventId: 'evt-1',
      type: 'CaseNoteAdded',
      schemaVersion: 1,
      data: e.data,
      metadata: e.metadata,
    }),
  )
  t.equal(hashEvent(e), expected)
  t.equal(hashEvent({ ...e, metadata: { ...e.metadata, hash: 'f'.repeat(64) } }), expected, 'metadata.hash is ignored')
  t.not(hashEvent({ ...e, revision: 8n }), expected, 'revision is covered')
  t.not(hashEvent({ ...e, metadata: { ...e.metadata, prevHash: 'a'.repeat(64) } }), expected, 'prevHash is covered')
  t.throws(() => hashEvent({ ...e, revision: 7 as unknown as bigint }), TypeError, 'a number revision is a bug')
})

t.test('sealEvents chains from prevHash without mutating its input', async (t) => {
  const input = [unsealed(1), unsealed(2), unsealed(3)]
  const before = JSON.stringify(input)
  const sealed = sealEvents('case-9', 0n, ZERO_HASH, input)
  t.equal(JSON.stringify(input), before, 'input untouched')
  t.equal(sealed[0]?.metadata.prevHash, ZERO_HASH)
  t.equal(sealed[1]?.metadata.prevHash, sealed[0]?.metadata.hash)
  t.equal(sealed[2]?.metadata.prevHash, sealed[1]?.metadata.hash)
  sealed.forEach((e, i) => t.equal(e.metadata.hash, hashEvent({ ...e, streamId: 'case-9', revision: BigInt(i) })))
  t.equal(sealed[0]?.metadata.actor.id, 'manager-1', 'other metadata kept and typed')

  // Appending later to the same stream continues the chain.
  const more = sealEvents('case-9', 3n, sealed[2]!.metadata.hash, [unsealed(4)])
  const all = [...sealed, ...more].map((e, i) => ({ ...e, streamId: 'case-9', revision: BigInt(i) }))
  t.same(verifyChain(all), { ok: true, count: 4, streams: 1 })

  t.throws(() => sealEvents('s', 0n, 'a'.repeat(64), input), TypeError, 'revision 0 must chain from ZERO_HASH')
  t.throws(() => sealEvents('s', 1n, 'nothex', input), TypeError, 'malformed prevHash')
  t.same(sealEvents('s', 0n, ZERO_HASH, []), [], 'nothing to seal')
})

t.test('verifyChain accepts interleaved streams', async (t) => {
  const events = interleave(stream('case-a', 4), stream('case-b', 2, 10), stream('case-c', 3, 20))
  t.same(verifyChain(events), { ok: true, count: 9, streams: 3 })
  t.same(await verifyChainAsync((async function* () { yield* events })()), { ok: true, count: 9, streams: 3 })
  t.same(verifyChain([]), { ok: true, count: 0, streams: 0 })
})

t.test('verifyChain catches tampering and names the event', async (t) => {
  const a = stream('case-a', 5)
  const b = stream('case-b', 3, 10)
  const log = interleave(a, b) // a0 b0 a1 b1 a2 b2 a3 a4

  t.test('a changed byte in data', async (t) => {
    const tampered = log.map((e) => (e.eventId === a[2]!.eventId ? { ...e, data: { note: 'note 3', n: 2 } } : e))
    const r = verifyChain(tampered)
    t.match(r, { ok: false, problem: 'hash_mismatch', eventId: a[2]!.eventId, streamId: 'case-a', revision: 2n, index: 4 })
    t.match(r.ok ? '' : r.detail, /case-a@2/)
  })

  t.test('a changed metadata field', async (t) => {
    const tampered = log.map((e) =>
      e.eventId === b[1]!.eventId ? { ...e, metadata: { ...e.metadata, actor: { id: 'someone-else', roles: [] } } } : e,
    )
    t.match(verifyChain(tampered), { ok: false, problem: 'hash_mismatch', eventId: b[1]!.eventId })
  })

  t.test('two events of a stream swapped (revisions kept in place)', async (t) => {
    // A database admin swaps the payloads of rows a1 and a2 but leaves revision numbers as they were.
    const swapped = log.map((e) => {
      if (e.eventId === a[1]!.eventId) return { ...a[2]!, revision: 1n }
      if (e.eventId === a[2]!.eventId) return { ...a[1]!, revision: 2n }
      return e
    })
    t.match(verifyChain(swapped), { ok: false, eventId: a[2]!.eventId, revision: 1n, problem: 'prev_hash_mismatch' })
  })

  t.test('two events reordered with their revisions', async (t) => {
    const reordered = [...log]
    const i1 = reordered.findIndex((e) => e.eventId === a[1]!.eventId)
    const i2 = reordered.findIndex((e) => e.eventId === a[2]!.eventId)
    ;[reordered[i1], reordered[i2]] = [reordered[i2]!, reordered[i1]!]
    t.match(verifyChain(reordered), { ok: false, problem: 'revision_gap', eventId: a[2]!.eventId })
  })

  t.test('a deleted event', async (t) => {
    t.match(verifyChain(log.filter((e) => e.eventId !== a[3]!.eventId)), {
      ok: false,
      problem: 'revision_gap',
      eventId: a[4]!.eventId,
    })
    // Deleting and renumbering the rest hides the gap but not the broken link.
    const renumbered = log
      .filter((e) => e.eventId !== a[3]!.eventId)
      .map((e) => (e.eventId === a[4]!.eventId ? { ...e, revision: 3n } : e))
    t.match(verifyChain(renumbered), { ok: false, problem: 'prev_hash_mismatch', eventId: a[4]!.eventId })
    // Deleting the first event of a stream.
    t.match(verifyChain(log.filter((e) => e.eventId !== b[0]!.eventId)), { ok: false, problem: 'revision_gap', eventId: b[1]!.eventId })
  })

  t.test('an inserted forged event', async (t) => {
    // The forger even computes a valid hash for the forged event, chained on a[1]; a[2] no longer links to it.
    const forged = sealEvents('case-a', 2n, a[1]!.metadata.hash as string, [unsealed(99)])[0]!
    const withForgery = [...log]
    const at = withForgery.findIndex((e) => e.eventId === a[2]!.eventId)
    const renumberedTail = withForgery.slice(at).map((e) => (e.streamId === 'case-a' ? { ...e, revision: e.revision + 1n } : e))
    const tampered = [...withForgery.slice(0, at), { ...forged, streamId: 'case-a', revision: 2n }, ...renumberedTail]
    t.match(verifyChain(tampered), { ok: false, problem: 'prev_hash_mismatch', eventId: a[2]!.eventId, revision: 3n })
    // A forged event appended at the end with a made-up hash.
    const appended = [...log, { ...unsealed(98), streamId: 'case-b', revision: 3n, metadata: { ...metadata(98), prevHash: b[2]!.metadata.hash, hash: 'b'.repeat(64) } }]
    t.match(verifyChain(appended), { ok: false, problem: 'hash_mismatch', eventId: 'evt-98' })
  })

  t.test('missing or malformed chain fields', async (t) => {
    const { hash: _h, ...withoutHash } = a[0]!.metadata
    t.match(verifyChain([{ ...a[0]!, metadata: withoutHash }]), { ok: false, problem: 'missing_hash' })
    t.match(verifyChain([{ ...a[0]!, metadata: { ...a[0]!.metadata, prevHash: 'XYZ' } }]), { ok: false, problem: 'missing_hash' })
  })
})

t.test('ChainVerifier exposes per-stream heads for incremental use', async (t) => {
  const a = stream('case-a', 3)
  const checker = new ChainVerifier()
  for (const e of a) t.equal(checker.check(e), undefined)
  t.same(checker.head('case-a'), { revision: 2n, hash: a[2]!.metadata.hash })
  t.equal(checker.head('case-z'), undefined)
  t.equal(checker.count, 3)
})
