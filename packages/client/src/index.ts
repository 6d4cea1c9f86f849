import createClient, { type Client, type ClientOptions } from 'openapi-fetch'
import type { components, paths } from './schema.js'

export type { components, operations, paths } from './schema.js'

/** RFC 9457 problem details, as every error answers (`application/problem+json`). */
export type Problem = components['schemas']['Problem']
/** Every stable error code. */
export type ErrorCode = Problem['code']

/** A typed client of the whole HTTP API: `client.GET('/v1/cases/{id}', { params: { path: { id } } })`. */
export type PropertyCasesClient = Client<paths>

export interface PropertyCasesClientOptions {
  /** Where the server listens: `http://127.0.0.1:3000`. */
  baseUrl: string
  /** A Bearer token (`pnpm cli token`); sent with every request. */
  token?: string
  /** Another `fetch` (a test's in-process one, a proxy's). */
  fetch?: ClientOptions['fetch']
  /** Headers sent with every request. */
  headers?: Record<string, string>
}

/**
 * A client generated from the OpenAPI document (openapi-typescript types, openapi-fetch requests): paths, params,
 * bodies, answers, errors (`error` is the Problem of the status) and response headers are the document's.
 *
 * @example
 * const client = createPropertyCasesClient({ baseUrl: 'http://127.0.0.1:3000', token })
 * const { data, error, response } = await client.POST('/v1/cases', { body: { kind: 'repair', … } })
 * if (error) console.error(error.code, error.detail)
 * else console.log(data.id, response.headers.get('etag'))
 */
export function createPropertyCasesClient(options: PropertyCasesClientOptions): PropertyCasesClient {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  return createClient<paths>({ baseUrl: options.baseUrl, headers, ...(options.fetch && { fetch: options.fetch }) })
}
