/**
 * Requests for every operation of the OpenAPI document, as fast-check arbitraries: valid ones generated from the
 * operation's own schemas (parameters and JSON body), then mutated the ways clients and attackers get them wrong.
 * The fuzz test (`test/fuzz.int.test.ts`, `pnpm fuzz`) sends them; nothing here knows a route by name.
 */
import fc from 'fast-check'

type Schema = {
  $ref?: string
  type?: string | string[]
  const?: unknown
  enum?: unknown[]
  anyOf?: Schema[]
  oneOf?: Schema[]
  allOf?: Schema[]
  format?: string
  pattern?: string
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  items?: Schema
  minItems?: number
  maxItems?: number
  properties?: Record<string, Schema>
  required?: string[]
}

export interface Operation {
  method: 'GET' | 'POST'
  /** OpenAPI path: `/v1/cases/{id}`. */
  path: string
  operationId: string
  parameters: Array<{ name: string; in: 'path' | 'query' | 'header'; required?: boolean; schema: Schema }>
  body?: Schema
}

export interface FuzzRequest {
  method: 'GET' | 'POST'
  url: string
  headers: Record<string, string>
  /** Raw text, so a mutation can send what JSON.stringify never writes (numbers past 2^53, deep nesting). */
  payload?: string
  /** What was done to the valid request, for the failure message. */
  mutation: string
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, { operationId: string; parameters?: Operation['parameters']; requestBody?: { content: Record<string, { schema: Schema }> } }>>
  components?: { schemas?: Record<string, Schema> }
}

/** Every operation of the document, optionally only those under `prefix`. */
export function operationsOf(document: OpenApiDocument, prefix = '/'): Operation[] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(() => path.startsWith(prefix))
      .map(([method, op]) => ({
        method: method.toUpperCase() as 'GET' | 'POST',
        path,
        operationId: op.operationId,
        parameters: op.parameters ?? [],
        ...(op.requestBody && { body: op.requestBody.content['application/json']?.schema }),
      })),
  )
}

/** A JSON value valid against `schema` (as far as a generator can tell: patterns through fc.stringMatching). */
export function valueOf(schema: Schema, document: OpenApiDocument, depth = 0): fc.Arbitrary<unknown> {
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '')
    return valueOf(document.components?.schemas?.[name] ?? {}, document, depth)
  }
  if (schema.const !== undefined) return fc.constant(schema.const)
  if (schema.enum) return fc.constantFrom(...schema.enum)
  if (schema.allOf) return valueOf(mergeAll(schema.allOf, document), document, depth)
  const alternatives = schema.anyOf ?? schema.oneOf
  if (alternatives) return fc.oneof(...alternatives.map((s) => valueOf(s, document, depth)))
  if (Array.isArray(schema.type)) return fc.oneof(...schema.type.map((type) => valueOf({ ...schema, type }, document, depth)))
  switch (schema.type) {
    case 'string':
      return stringOf(schema)
    case 'integer': {
      const min = Math.max(schema.minimum ?? (schema.exclusiveMinimum ?? -1_000_001) + 1, -1_000_000)
      return fc.integer({ min, max: Math.max(min, Math.min(schema.maximum ?? 1_000_000, 1_000_000)) })
    }
    case 'number':
      return fc.integer({ min: Math.max(schema.minimum ?? -1000, -1000), max: Math.min(schema.maximum ?? 1000, 1000) })
    case 'boolean':
      return fc.boolean()
    case 'null':
      return fc.constant(null)
    case 'array':
      if (depth > 4) return fc.constant([])
      return fc.array(valueOf(schema.items ?? {}, document, depth + 1), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 3, 3)),
      })
    case 'object': {
      const properties = schema.properties ?? {}
      if (depth > 4) return fc.constant({})
      const required = new Set(schema.required ?? [])
      return fc.record(
        Object.fromEntries(Object.entries(properties).map(([key, s]) => [key, valueOf(s, document, depth + 1)])),
        { requiredKeys: Object.keys(properties).filter((key) => required.has(key)) },
      )
    }
    default:
      return fc.jsonValue({ maxDepth: 2 })
  }
}

function mergeAll(parts: Schema[], document: OpenApiDocument): Schema {
  const resolved = parts.map((p) => (p.$ref ? (document.components?.schemas?.[p.$ref.replace('#/components/schemas/', '')] ?? {}) : p))
  return {
    type: 'object',
    properties: Object.assign({}, ...resolved.map((p) => p.properties ?? {})),
    required: resolved.flatMap((p) => p.required ?? []),
  }
}

function stringOf(schema: Schema): fc.Arbitrary<string> {
  if (schema.format === 'uuid') return fc.uuid()
  if (schema.format === 'date-time') return fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString())
  if (schema.format === 'date') return fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10))
  const minLength = schema.minLength ?? 0
  const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? 24, 24))
  if (schema.pattern) {
    try {
      return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= minLength && s.length <= (schema.maxLength ?? Infinity))
    } catch {
      // A pattern fast-check cannot generate from: plain strings, which the server will mostly refuse (400).
    }
  }
  return fc.string({ minLength, maxLength })
}

/** Strings that break naive parsers, validators, loggers and SQL. */
const HOSTILE_STRINGS = ['\u0000', 'a\u0000b', '\ud800', 'x\udfffy', "'; drop table events; --", '../../etc/passwd', '"quoted"', '%00', '\u202e', '𝕏'.repeat(3)]
const WRONG_VALUES: unknown[] = [0, -1, 1.5, 'x', '', true, null, [], {}, [[[]]], { $ne: null }]

/** Paths into a JSON value, to a leaf or a member, for a mutation to aim at. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return [prefix, ...value.flatMap((v, i) => pathsOf(v, [...prefix, i]))]
  if (value !== null && typeof value === 'object') return [prefix, ...Object.entries(value).flatMap(([k, v]) => pathsOf(v, [...prefix, k]))]
  return [prefix]
}

function setAt(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, unknown>
  copy[path[0]!] = setAt(copy[path[0]!], path.slice(1), replacement)
  return copy
}

function dropAt(value: unknown, path: (string | number)[]): unknown {
  if (path.length === 0) return undefined
  if (path.length === 1) {
    if (Array.isArray(value)) return value.filter((_, i) => i !== path[0])
    const { [path[0]!]: _dropped, ...rest } = value as Record<string | number, unknown>
    return rest
  }
  return setAt(value, path.slice(0, 1), dropAt((value as Record<string | number, unknown>)[path[0]!], path.slice(1)))
}

type BodyMutation = { name: string; apply: (body: unknown, pick: number) => string }

const BODY_MUTATIONS: BodyMutation[] = [
  { name: 'a value of the wrong type', apply: (b, n) => JSON.stringify(setAt(b, pick(pathsOf(b), n), WRONG_VALUES[n % WRONG_VALUES.length])) },
  { name: 'a member missing', apply: (b, n) => JSON.stringify(dropAt(b, pick(pathsOf(b).filter((p) => p.length > 0), n) ?? []) ?? null) },
  { name: 'an unknown member', apply: (b) => JSON.stringify(b !== null && typeof b === 'object' && !Array.isArray(b) ? { ...b, unexpected: 1 } : { unexpected: 1 }) },
  { name: 'a hostile string', apply: (b, n) => JSON.stringify(setAt(b, pick(pathsOf(b), n), HOSTILE_STRINGS[n % HOSTILE_STRINGS.length])) },
  { name: 'a huge string', apply: (b, n) => JSON.stringify(setAt(b, pick(pathsOf(b), n), 'x'.repeat(300_000))) },
  { name: 'deep nesting', apply: () => `${'['.repeat(20_000)}${']'.repeat(20_000)}` },
  { name: 'a number past 2^53', apply: (b, n) => JSON.stringify(setAt(b, pick(pathsOf(b), n), '@@')).replace('"@@"', '9007199254740993') },
  { name: 'a number past bigint range', apply: (b, n) => JSON.stringify(setAt(b, pick(pathsOf(b), n), '@@')).replace('"@@"', '1e400') },
  { name: 'a float for an integer', apply: (b, n) => JSON.stringify(setAt(b, pick(pathsOf(b), n), 10.5)) },
  { name: 'not JSON', apply: () => '{"kind": ' },
  { name: 'a JSON scalar', apply: (_, n) => ['null', '1', '"x"', 'true', '[]'][n % 5]! },
]

const BAD_PATH_IDS = ['..%2F..%2Fetc', "'%22", 'not-a-uuid', '00000000-0000-0000-0000-00000000000g', 'x'.repeat(500), '%F0%9F%92%A9', '%00']
const BAD_IF_MATCH = ['"abc"', 'W/"1"', '"-1"', '"99999999999999999999"', '1', '"1" , "2"', '*']
const BAD_KEYS = ['', ' ', 'k'.repeat(201), 'ключ', 'a\tb']
const BAD_WAIT_FOR = ['-1', '1e3', '0x10', '99999999999999999999999999', 'abc', '1.5', '']

function pick<T>(items: T[], n: number): T {
  return items[n % Math.max(items.length, 1)]!
}

function fill(path: string, params: Record<string, unknown>): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(String(params[name])))
}

function query(params: Record<string, unknown>): string {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined)
  return entries.length === 0 ? '' : `?${new URLSearchParams(entries.map(([k, v]): [string, string] => [k, String(v)])).toString()}`
}

/**
 * One request for `operation`: valid per its schemas, or with one thing wrong in the body, a path id, a header or
 * the query. `ids` are ids of things that exist, so valid requests reach past the 404s.
 */
export function requestsFor(operation: Operation, document: OpenApiDocument, ids: readonly string[]): fc.Arbitrary<FuzzRequest> {
  // A generated `If-Match` is a revision picked at random, so nearly always stale: valid requests leave it out and
  // reach the rules; the header mutations send bad ones.
  const byPlace = (place: 'path' | 'query' | 'header') => operation.parameters.filter((p) => p.in === place && p.name !== 'if-match')
  const paramsArb = (place: 'path' | 'query' | 'header') =>
    fc.record(
      Object.fromEntries(
        byPlace(place).map((p) => [p.name, p.schema.format === 'uuid' && ids.length > 0 ? fc.oneof(fc.constantFrom(...ids), fc.uuid()) : valueOf(p.schema, document)]),
      ),
      { requiredKeys: byPlace(place).filter((p) => p.required || place === 'path').map((p) => p.name) },
    )
  const valid = fc.record({
    path: paramsArb('path'),
    query: paramsArb('query'),
    header: paramsArb('header'),
    body: operation.body ? valueOf(operation.body, document) : fc.constant(undefined),
  })
  const hasBody = operation.body !== undefined
  const pathNames = byPlace('path').map((p) => p.name)
  const kinds = ['valid', ...(hasBody ? ['body'] : []), ...(pathNames.length > 0 ? ['path'] : []), 'header', 'query'] as const
  return fc.tuple(valid, fc.constantFrom(...kinds), fc.nat(1_000)).map(([v, kind, n]) => {
    let path = v.path as Record<string, unknown>
    let queryParams = v.query as Record<string, unknown>
    const headers: Record<string, string> = Object.fromEntries(Object.entries(v.header).map(([k, value]) => [k, String(value)]))
    let payload = hasBody ? JSON.stringify(v.body ?? {}) : undefined
    let mutation = 'none: a valid request'
    if (kind === 'body') {
      const m = pick(BODY_MUTATIONS, n)
      payload = m.apply(v.body ?? {}, Math.floor(n / BODY_MUTATIONS.length))
      mutation = `body: ${m.name}`
    } else if (kind === 'path') {
      const name = pick(pathNames, n)
      path = { ...path, [name]: '@@' }
      mutation = `path ${name}: ${pick(BAD_PATH_IDS, n)}`
    } else if (kind === 'header') {
      const which = n % 3
      if (which === 0 && operation.method === 'POST') headers['if-match'] = pick(BAD_IF_MATCH, n)
      else if (which === 1 && operation.method === 'POST') headers['idempotency-key'] = pick(BAD_KEYS, n)
      else headers['content-type'] = pick(['text/plain', 'application/json; charset=latin1', 'application/xml', 'multipart/form-data'], n)
      mutation = `headers: ${JSON.stringify(headers)}`
    } else if (kind === 'query') {
      queryParams = { ...queryParams, ...(n % 2 === 0 ? { waitFor: pick(BAD_WAIT_FOR, n) } : { unknownParameter: 'x' }) }
      mutation = `query: ${JSON.stringify(queryParams)}`
    }
    let url = `${fill(operation.path, path)}${query(queryParams)}`
    if (kind === 'path') url = url.replace('%40%40', pick(BAD_PATH_IDS, n))
    if (payload !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json'
    return { method: operation.method, url, headers, ...(payload !== undefined && { payload }), mutation }
  })
}
