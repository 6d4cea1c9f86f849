import fc from 'fast-check'
import t from 'tap'
import { canonicalJson } from '../src/index.js'

t.test('RFC 8785 §3.2.2 sample: numbers, escaping and literals', async (t) => {
  const input = JSON.parse(
    '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
      '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
  ) as unknown
  t.equal(
    canonicalJson(input),
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
      '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
  )
})

t.test('RFC 8785 §3.2.3 sample: keys sorted by UTF-16 code units, non-ASCII left unescaped', async (t) => {
  const input = {
    '\u20ac': 'Euro Sign',
    '\r': 'Carriage Return',
    '\ufb33': 'Hebrew Letter Dalet With Dagesh',
    '1': 'One',
    '\ud83d\ude00': 'Emoji: Grinning Face',
    '\u0080': 'Control',
    '\u00f6': 'Latin Small Letter O With Diaeresis',
  }
  t.equal(
    canonicalJson(input),
    '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
      '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
  )
  // U+1F600 (surrogates D83D DE00) sorts BEFORE U+FB33 by code units, though after it by code points.
  const keys = Object.keys(JSON.parse(canonicalJson(input)) as object)
  t.ok(keys.indexOf('\ud83d\ude00') < keys.indexOf('\ufb33'))
})

t.test('JCS test data "weird.json" (cyberphone/json-canonicalization)', async (t) => {
  const input = JSON.parse(
    '{"\\u20ac":"Euro Sign","1":"One","\\u0080":"Control\\u007f","\\ud83d\\ude02":"Smiley",' +
      '"\\u00f6":"Latin Small Letter O With Diaeresis","\\ufb33":"Hebrew Letter Dalet With Dagesh",' +
      '"</script>":"Browser Challenge"}',
  ) as unknown
  t.equal(
    canonicalJson(input),
    '{"1":"One","</script>":"Browser Challenge","\u0080":"Control\u007f","\u00f6":"Latin Small Letter O With Diaeresis",' +
      '"\u20ac":"Euro Sign","\ud83d\ude02":"Smiley","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
  )
})

t.test('RFC 8785 Appendix B: number serialisation from IEEE 754 bit patterns', async (t) => {
  const cases: Array<[string, string]> = [
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ]
  for (const [bits, expected] of cases) {
    const n = Buffer.from(bits, 'hex').readDoubleBE(0)
    t.equal(canonicalJson(n), expected, `0x${bits}`)
    t.equal(canonicalJson([n]), `[${expected}]`, `0x${bits} inside an array`)
  }
  for (const bits of ['7fffffffffffffff', '7ff0000000000000', 'fff0000000000000']) {
    t.throws(() => canonicalJson({ n: Buffer.from(bits, 'hex').readDoubleBE(0) }), TypeError, `0x${bits} is rejected`)
  }
})

t.test('rejects what has no canonical JSON form', async (t) => {
  t.throws(() => canonicalJson(1n), TypeError, 'bigint')
  t.throws(() => canonicalJson({ revision: 1n }), TypeError, 'nested bigint')
  t.throws(() => canonicalJson(NaN), TypeError, 'NaN')
  t.throws(() => canonicalJson(undefined), TypeError, 'top-level undefined')
  t.throws(() => canonicalJson({ f: () => 1 }), TypeError, 'function')
  t.throws(() => canonicalJson({ s: Symbol('x') }), TypeError, 'symbol')
  t.throws(() => canonicalJson(new Map([['a', 1]])), TypeError, 'Map')
  t.throws(() => canonicalJson(new Uint8Array(2)), TypeError, 'typed array')
  t.throws(() => canonicalJson('\ud800'), TypeError, 'lone high surrogate')
  t.throws(() => canonicalJson({ '\udc00x': 1 }), TypeError, 'lone low surrogate in a key')
  const cyclic: Record<string, unknown> = {}
  cyclic.self = cyclic
  t.throws(() => canonicalJson(cyclic), TypeError, 'cycle')
})

t.test('matches JSON.stringify semantics for undefined, toJSON and shared references', async (t) => {
  t.equal(canonicalJson({ b: undefined, a: 1 }), '{"a":1}', 'undefined member omitted')
  t.equal(canonicalJson([undefined, 1]), '[null,1]', 'undefined array item becomes null')
  t.equal(canonicalJson({ at: new Date(Date.UTC(2024, 0, 2)) }), '{"at":"2024-01-02T00:00:00.000Z"}', 'Date via toJSON')
  const shared = { x: 1 }
  t.equal(canonicalJson({ a: shared, b: shared }), '{"a":{"x":1},"b":{"x":1}}', 'a repeated (non-cyclic) object is fine')
  t.equal(canonicalJson(Object.assign(Object.create(null) as object, { z: 1, a: 2 })), '{"a":2,"z":1}', 'null-prototype object')
  t.equal(canonicalJson('\u2028\u2029\u001f'), '"\u2028\u2029\\u001f"', 'only C0 controls are escaped')
  t.equal(canonicalJson({ '': 0, a: { c: [], b: {} } }), '{"":0,"a":{"b":{},"c":[]}}', 'nested sorting, empty key')
})

t.test('is a fixed point under JSON round trip', async (t) => {
  const value = { z: [1.5, 'ü', { y: null, x: true }], a: -0.1, m: { '10': 1, '9': 2 } }
  const once = canonicalJson(value)
  t.equal(canonicalJson(JSON.parse(once)), once)
  t.equal(once, '{"a":-0.1,"m":{"10":1,"9":2},"z":[1.5,"ü",{"x":true,"y":null}]}')
})

/**
 * A plain reference JCS writer: keys sorted, strings and numbers as JSON.stringify writes them. canonicalJson
 * takes a fast path through the engine's JSON.stringify for ordinary values and a careful writer otherwise;
 * both must agree with this byte for byte.
 */
function referenceJcs(v: unknown): string {
  if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
    v = (v as { toJSON: (k: string) => unknown }).toJSON('')
  }
  if (typeof v === 'number') return Object.is(v, -0) ? '0' : String(v)
  if (typeof v === 'string' || typeof v === 'boolean' || v === null) return JSON.stringify(v)
  if (Array.isArray(v)) return `[${Array.from(v, (x: unknown) => (x === undefined ? 'null' : referenceJcs(x))).join(',')}]`
  const o = v as Record<string, unknown>
  const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort()
  return `{${keys.map((k) => `${JSON.stringify(k)}:${referenceJcs(o[k])}`).join(',')}}`
}

t.test('fast paths: plain and escaped strings, non-ASCII, numbers and key order', async (t) => {
  const cases: Array<[unknown, string]> = [
    ['plain ascii', '"plain ascii"'],
    ['quote " and backslash \\', '"quote \\" and backslash \\\\"'],
    ['tab\tnew\nline\u0000\u001f\u007f', '"tab\\tnew\\nline\\u0000\\u001f\u007f"'],
    ['caf\u00e9 \u20ac \ud83d\ude00', '"caf\u00e9 \u20ac \ud83d\ude00"'],
    ['\\ud800 is text here', '"\\\\ud800 is text here"'],
    [1e21, '1e+21'],
    [1e20, '100000000000000000000'],
    [-0, '0'],
    [[-0, 0.1, -1.5e-7], '[0,0.1,-1.5e-7]'],
    [Number.MAX_SAFE_INTEGER + 2, '9007199254740992'],
    [123456789012345680000, '123456789012345680000'],
    [{ b: { d: 1, c: 2 }, a: [{ z: 0, y: 1 }] }, '{"a":[{"y":1,"z":0}],"b":{"c":2,"d":1}}'],
    [{ '10': 1, '9': 2, a: 3 }, '{"10":1,"9":2,"a":3}'],
    [{ b: 1, '1a': 2, A: 3 }, '{"1a":2,"A":3,"b":1}'],
    [JSON.parse('{"__proto__":{"x":1},"a":0}') as unknown, '{"__proto__":{"x":1},"a":0}'],
    [JSON.parse('{"b":0,"__proto__":1}') as unknown, '{"__proto__":1,"b":0}'],
    [{ b: undefined, a: [undefined] }, '{"a":[null]}'],
    [Object.assign([1], { 2: 3 }), '[1,null,3]'],
    [{ z: new Date(Date.UTC(2024, 0, 2)), a: { toJSON: () => ({ y: 1, x: 2 }) } }, '{"a":{"x":2,"y":1},"z":"2024-01-02T00:00:00.000Z"}'],
    [{ '\ud83d\ude00': 1, '\ufb33': 2 }, '{"\ud83d\ude00":1,"\ufb33":2}'],
  ]
  for (const [value, expected] of cases) {
    t.equal(canonicalJson(value), expected, expected)
    t.equal(canonicalJson(value), referenceJcs(value), `${expected} matches the reference`)
  }
  let deep: unknown = 'leaf'
  for (let i = 0; i < 200; i++) deep = i % 2 ? [deep] : { b: deep, a: i }
  t.equal(canonicalJson(deep), referenceJcs(deep), 'nesting deeper than the fast path goes')
})

t.test('rejects inside the fast path too, naming where', async (t) => {
  t.throws(() => canonicalJson({ a: { b: [1, Infinity] } }), { name: 'TypeError', message: 'canonicalJson: Infinity at $.a.b[1] is not a JSON number' })
  t.throws(() => canonicalJson({ a: ['ok', 'x\udc00'] }), { name: 'TypeError', message: 'canonicalJson: lone surrogate in string at $.a[1]' })
  t.throws(() => canonicalJson({ z: 1, '\ud800': 1 }), TypeError, 'lone surrogate in an unsorted key')
  t.throws(() => canonicalJson({ a: [{ n: 1n }] }), { name: 'TypeError', message: 'canonicalJson: a bigint at $.a[0].n has no JSON form' })
  t.throws(() => canonicalJson({ a: new Set() }), TypeError, 'Set')
  t.throws(() => canonicalJson([() => 1]), TypeError, 'function in an array (JSON.stringify would write null)')
  t.throws(() => canonicalJson({ s: Symbol('x'), a: 1 }), TypeError, 'symbol member (JSON.stringify would drop it)')
  const cyclic: unknown[] = []
  cyclic.push({ b: cyclic })
  t.throws(() => canonicalJson(cyclic), { name: 'TypeError', message: 'canonicalJson: cycle at $[0].b' })
})

t.test('agrees with a reference writer on random JSON values, surrogates included', async (t) => {
  const text = fc.string({ unit: 'binary', maxLength: 12 })
  const value = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      text,
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(text, tie('value'), { maxKeys: 5 }),
    ),
  })).value
  const lone = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/
  const hasLone = (v: unknown): boolean =>
    typeof v === 'string'
      ? lone.test(v)
      : v !== null && typeof v === 'object' && Object.entries(v).some(([k, x]) => lone.test(k) || hasLone(x))
  fc.assert(
    fc.property(value, (v) => {
      if (hasLone(v)) t.throws(() => canonicalJson(v), TypeError)
      else t.equal(canonicalJson(v), referenceJcs(v))
    }),
    { numRuns: 500 },
  )
})
