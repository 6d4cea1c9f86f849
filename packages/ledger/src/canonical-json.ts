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
 * As in JSON.stringify, `undefined` object members are omitted, `undefined` array items become `null`,
 * and a `toJSON()` method (Date) is honoured — so a value hashes the same before and after a JSON round trip.
 */

// Lone surrogate: a high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * Serialises `value` as RFC 8785 canonical JSON.
 *
 * @example
 * canonicalJson({ b: 1, a: [true, null, 1e21] }) // '{"a":[true,null,1e+21],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = []
  write(value, out, new Set(), '$')
  return out.join('')
}

function write(value: unknown, out: string[], ancestors: Set<object>, path: string): void {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON: (key: string) => unknown }).toJSON('')
  }
  switch (typeof value) {
    case 'string':
      out.push(serialiseString(value, path))
      return
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${String(value)} at ${path} is not a JSON number`)
      // Number.prototype.toString is exactly the ECMAScript serialisation JCS §3.2.2.3 requires; -0 → "0".
      out.push(Object.is(value, -0) ? '0' : String(value))
      return
    case 'boolean':
      out.push(value ? 'true' : 'false')
      return
    case 'object':
      break
    default:
      throw new TypeError(`canonicalJson: a ${typeof value} at ${path} has no JSON form`)
  }
  if (value === null) {
    out.push('null')
    return
  }
  const object = value as object
  if (ancestors.has(object)) throw new TypeError(`canonicalJson: cycle at ${path}`)
  ancestors.add(object)
  if (Array.isArray(object)) {
    out.push('[')
    object.forEach((item: unknown, i) => {
      if (i > 0) out.push(',')
      if (item === undefined) out.push('null')
      else write(item, out, ancestors, `${path}[${i}]`)
    })
    out.push(']')
  } else {
    const proto: unknown = Object.getPrototypeOf(object)
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(`canonicalJson: ${object.constructor?.name ?? 'exotic object'} at ${path} is not a plain object`)
    }
    const record = object as Record<string, unknown>
    // Default sort compares UTF-16 code units, which is precisely JCS §3.2.3.
    const keys = Object.keys(record).filter((k) => record[k] !== undefined).sort()
    out.push('{')
    keys.forEach((key, i) => {
      if (i > 0) out.push(',')
      out.push(serialiseString(key, `${path}.${key}`), ':')
      write(record[key], out, ancestors, `${path}.${key}`)
    })
    out.push('}')
  }
  ancestors.delete(object)
}

function serialiseString(s: string, path: string): string {
  if (LONE_SURROGATE.test(s)) throw new TypeError(`canonicalJson: lone surrogate in string at ${path}`)
  // JSON.stringify escapes exactly as JCS §3.2.2.2 prescribes (\b \t \n \f \r \" \\, other controls as \u00xx lowercase).
  return JSON.stringify(s)
}
