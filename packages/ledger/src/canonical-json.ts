/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): the one byte string every party hashes and signs.
 *
 * JCS is "JSON.stringify, but with object keys sorted by UTF-16 code units", so we lean on the engine for
 * the two delicate parts it specifies by reference to ECMAScript: number formatting (Number.prototype
 * .toString's shortest round-trip form) and string escaping. What JCS rules out we reject loudly rather
 * than silently emitting something another implementation would serialise differently:
 * - NaN, ±Infinity and bigint (no JSON number for them) → TypeError;
 * - lone UTF-16 surrogates in strings or keys (not I-JSON, RFC 7493 §2.1) → TypeError;
 * - functions, symbols, cycles and exotic objects (Map, Set, typed arrays, class instances) → TypeError.
 * As in JSON.stringify, `undefined` object members are omitted, `undefined` array items (and holes) become
 * `null`, and a `toJSON()` method (Date) is honoured — so a value hashes the same before and after a JSON
 * round trip.
 *
 * This runs once per event whenever a log is verified, so it is written for speed: strings are concatenated
 * (V8 ropes) rather than joined from arrays, the common string needs one regex test, and the path named in
 * an error is only built when there is an error.
 */

const SURROGATE = /[\ud800-\udfff]/
// Lone surrogate: a high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Thrown inside the writer; containers on the way up add their path segment, `canonicalJson` the message. */
class CanonicalError extends Error {
  readonly segments: string[] = []
  constructor(readonly describe: (path: string) => string) {
    super('canonicalJson')
  }
}

/**
 * Serialises `value` as RFC 8785 canonical JSON.
 *
 * @example
 * canonicalJson({ b: 1, a: [true, null, 1e21] }) // '{"a":[true,null,1e+21],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  const prepared = prepare(value, 0)
  if (prepared !== UNUSUAL) {
    const json = JSON.stringify(prepared)
    // JSON.stringify writes a lone surrogate as a \udxxx escape; "\ud" can also be an escaped backslash before
    // "ud". Either way the careful writer decides (and throws for the former).
    if (!json.includes('\\ud')) return json
  }
  return canonicalJsonCarefully(value)
}

/** `prepare` found something JSON.stringify would not write the JCS way (or not reject): take the careful path. */
const UNUSUAL: unique symbol = Symbol('unusual')
/** Deeper than this, the careful writer (which detects cycles) takes over. */
const MAX_FAST_DEPTH = 64

/**
 * The fast path: `value` with every object's keys in code-unit order (objects copied only where they are not),
 * ready for the engine's JSON.stringify, whose output is then the canonical form: it formats numbers and escapes
 * strings exactly as JCS prescribes. Anything where JSON.stringify and JCS part ways (NaN, bigint, functions,
 * toJSON, exotic objects, integer-like keys out of order, "__proto__", deep nesting) gives UNUSUAL.
 */
function prepare(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value
    case 'number':
      return Number.isFinite(value) ? value : UNUSUAL
    case 'object':
      if (value === null) return value
      break
    default:
      return UNUSUAL
  }
  if (depth >= MAX_FAST_DEPTH || typeof (value as { toJSON?: unknown }).toJSON === 'function') return UNUSUAL
  if (Array.isArray(value)) {
    const items = value as unknown[]
    let copy: unknown[] | undefined
    for (let i = 0; i < items.length; i++) {
      const item = items[i]
      // undefined (and a hole) is written as null by both.
      if (item === undefined) continue
      const prepared = prepare(item, depth + 1)
      if (prepared === UNUSUAL) return UNUSUAL
      if (prepared !== item) (copy ??= items.slice())[i] = prepared
    }
    return copy ?? value
  }
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return UNUSUAL
  const record = value as Record<string, unknown>
  const keys = Object.keys(record)
  let sorted = true
  // Members whose prepared value is not the member itself (objects nested in an object that was copied).
  let changed: Map<string, unknown> | undefined
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    if (i > 0 && !(keys[i - 1]! < key)) sorted = false
    const member = record[key]
    if (member === undefined) continue
    const prepared = prepare(member, depth + 1)
    if (prepared === UNUSUAL) return UNUSUAL
    if (prepared !== member) (changed ??= new Map()).set(key, prepared)
  }
  if (sorted && changed === undefined) return value
  // Default sort compares UTF-16 code units, which is precisely JCS §3.2.3.
  if (!sorted) keys.sort()
  const copy: Record<string, unknown> = {}
  for (const key of keys) {
    // Integer-like keys come first in any object whatever the insertion order, and "__proto__" would set the
    // prototype: neither can be put in order by copying.
    const c = key.charCodeAt(0)
    if ((c >= 0x30 && c <= 0x39) || key === '__proto__') return UNUSUAL
    const member = changed?.has(key) ? changed.get(key) : record[key]
    if (member !== undefined) copy[key] = member
  }
  return copy
}

/** The reference writer: every rule spelled out, with the path of what is wrong in its errors. */
function canonicalJsonCarefully(value: unknown): string {
  try {
    return write(value, [])
  } catch (error) {
    if (!(error instanceof CanonicalError)) throw error
    throw new TypeError(`canonicalJson: ${error.describe(`$${error.segments.reverse().join('')}`)}`)
  }
}

/** `ancestors` holds the objects being written above this one (cycle check; nesting is shallow in practice). */
function write(value: unknown, ancestors: object[], fromToJSON = false): string {
  switch (typeof value) {
    case 'string':
      return serialiseString(value)
    case 'number':
      if (!Number.isFinite(value)) {
        const shown = String(value)
        throw new CanonicalError((path) => `${shown} at ${path} is not a JSON number`)
      }
      // Number.prototype.toString is exactly the ECMAScript serialisation JCS §3.2.2.3 requires; -0 → "0".
      return value === 0 ? '0' : String(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'object':
      if (value === null) return 'null'
      break
    default: {
      const kind = typeof value
      throw new CanonicalError((path) => `a ${kind} at ${path} has no JSON form`)
    }
  }
  if (!fromToJSON && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    // As in JSON.stringify, what toJSON returns is written in its place, without calling its own toJSON.
    return write((value as { toJSON: (key: string) => unknown }).toJSON(''), ancestors, true)
  }
  const object = value as object
  if (ancestors.includes(object)) throw new CanonicalError((path) => `cycle at ${path}`)
  ancestors.push(object)
  let out: string
  if (Array.isArray(object)) {
    const items = object as unknown[]
    out = '['
    for (let i = 0; i < items.length; i++) {
      if (i > 0) out += ','
      const item = items[i]
      if (item === undefined) {
        out += 'null'
        continue
      }
      try {
        out += write(item, ancestors)
      } catch (error) {
        if (error instanceof CanonicalError) error.segments.push(`[${i}]`)
        throw error
      }
    }
    out += ']'
  } else {
    const proto: unknown = Object.getPrototypeOf(object)
    if (proto !== Object.prototype && proto !== null) {
      const name = (object.constructor as { name?: string } | undefined)?.name ?? 'exotic object'
      throw new CanonicalError((path) => `${name} at ${path} is not a plain object`)
    }
    out = writeMembers(object as Record<string, unknown>, ancestors)
  }
  ancestors.pop()
  return out
}

function writeMembers(record: Record<string, unknown>, ancestors: object[]): string {
  // Default sort compares UTF-16 code units, which is precisely JCS §3.2.3.
  const keys = Object.keys(record).sort()
  let out = '{'
  let first = true
  for (const key of keys) {
    const member = record[key]
    if (member === undefined) continue
    try {
      out += (first ? '' : ',') + serialiseString(key) + ':' + write(member, ancestors)
    } catch (error) {
      if (error instanceof CanonicalError) error.segments.push(`.${key}`)
      throw error
    }
    first = false
  }
  return out + '}'
}

function serialiseString(s: string): string {
  // A loop beats a regex call on the short strings (keys, ids, timestamps) that make up most of an event.
  let plain = true
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) {
      plain = false
      break
    }
  }
  if (plain) return '"' + s + '"'
  if (SURROGATE.test(s) && LONE_SURROGATE.test(s)) throw new CanonicalError((path) => `lone surrogate in string at ${path}`)
  // JSON.stringify escapes exactly as JCS §3.2.2.2 prescribes (\b \t \n \f \r \" \\, other controls as \u00xx lowercase).
  return JSON.stringify(s)
}
