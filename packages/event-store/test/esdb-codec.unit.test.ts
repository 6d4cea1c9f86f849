import t from 'tap'
import { SCHEMA_VERSION_KEY, fromEsdbEvent, isSystemEvent, positionOf, toBigInt, toEsdbEvent } from '../src/esdb/esdb.codec.js'
import type { EsdbRecordedEvent } from '../src/esdb/esdb.codec.js'
import { newEvent } from './esdb-target.js'

t.test('toBigInt keeps bigints, accepts safe numbers and refuses numbers that already lost bits', async (t) => {
  t.equal(toBigInt(2n ** 64n - 2n, 'position'), 2n ** 64n - 2n)
  t.equal(toBigInt(42, 'revision'), 42n, 'a number from a client with the #513 bug is still usable when safe')
  t.equal(toBigInt('9007199254740993', 'position'), 9007199254740993n)
  t.throws(() => toBigInt(2 ** 53 + 2, 'commit position'), RangeError, 'the #423 case: an imprecise commit position')
  t.throws(() => toBigInt(1.5, 'revision'), RangeError)
  t.throws(() => toBigInt('12abc', 'revision'), RangeError)
})

t.test('toEsdbEvent puts schemaVersion under the reserved metadata key and keeps our event id', async (t) => {
  const event = newEvent('CaseReported', { a: 1 }, 4)
  const esdb = toEsdbEvent(event)
  t.same(esdb, {
    id: event.eventId,
    contentType: 'application/json',
    type: 'CaseReported',
    data: { a: 1 },
    metadata: { ...event.metadata, [SCHEMA_VERSION_KEY]: 4 },
  })
  t.notOk(SCHEMA_VERSION_KEY in event.metadata, 'the caller’s metadata is not touched')
  t.throws(() => toEsdbEvent({ ...event, metadata: { ...event.metadata, [SCHEMA_VERSION_KEY]: 1 } }), TypeError)
})

const recorded = (overrides: Partial<EsdbRecordedEvent> = {}): EsdbRecordedEvent => ({
  streamId: 'case-1',
  id: '0b8e1f5e-1c1a-4d57-9a3b-5bb1a2f0c001',
  revision: 7n,
  type: 'CaseReported',
  isJson: true,
  data: { a: 1 },
  metadata: { hash: 'h', [SCHEMA_VERSION_KEY]: 2 },
  created: new Date('2025-03-01T08:00:00.123Z'),
  position: { commit: 1234n, prepare: 1234n },
  ...overrides,
})

t.test('fromEsdbEvent strips the reserved key and restores schemaVersion', async (t) => {
  t.same(fromEsdbEvent(recorded(), 1234n), {
    eventId: '0b8e1f5e-1c1a-4d57-9a3b-5bb1a2f0c001',
    streamId: 'case-1',
    revision: 7n,
    position: 1234n,
    type: 'CaseReported',
    schemaVersion: 2,
    data: { a: 1 },
    metadata: { hash: 'h' },
    recordedAt: '2025-03-01T08:00:00.123Z',
  })
  t.equal(fromEsdbEvent(recorded({ revision: 7 }), 1n).revision, 7n, 'a number revision (#513) comes out as bigint')
  t.equal(fromEsdbEvent(recorded({ metadata: undefined }), 1n).schemaVersion, 1, 'no metadata: version 1')
})

t.test('fromEsdbEvent refuses events this adapter cannot have written', async (t) => {
  t.throws(() => fromEsdbEvent(recorded({ isJson: false, data: new Uint8Array([1]) }), 1n), TypeError)
  t.throws(() => fromEsdbEvent(recorded({ data: [1, 2] }), 1n), TypeError)
})

t.test('positionOf takes the event position, falls back to the envelope, refuses "no position"', async (t) => {
  t.equal(positionOf(recorded()), 1234n)
  t.equal(positionOf(recorded({ position: undefined }), 99n), 99n)
  t.equal(positionOf(recorded({ position: undefined }), 99), 99n, 'a number commitPosition (#423) comes out as bigint')
  t.throws(() => positionOf(recorded({ position: { commit: 2n ** 64n - 1n, prepare: 2n ** 64n - 1n } })), /22\.10/)
  t.throws(() => positionOf(recorded({ position: undefined })), /22\.10/)
})

t.test('system events are the $-typed and the $-streams', async (t) => {
  t.ok(isSystemEvent({ streamId: '$settings', type: 'x' }))
  t.ok(isSystemEvent({ streamId: 'case-1', type: '$>' }))
  t.notOk(isSystemEvent({ streamId: 'case-1', type: 'CaseReported' }))
})
