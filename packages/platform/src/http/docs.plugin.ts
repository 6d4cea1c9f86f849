import { STATUS_CODES } from 'node:http'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { ErrorCode, isProblemSchema } from '@pc/contracts'
import type { FastifyPluginAsync, FastifyRequest, preValidationAsyncHookHandler, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod'
import type { Role } from '../roles.js'
import { PROBLEM_CONTENT_TYPE } from './problem.js'
import { UNLIMITED_ROUTE } from './rate-limit.plugin.js'

/** A response header as the OpenAPI document shows it (and a generated client types it). */
export interface HeaderDoc {
  description: string
  schema: { type: 'string'; pattern?: string; enum?: readonly string[] }
  /** Always sent (default: only sometimes). */
  required?: boolean
}

declare module 'fastify' {
  interface FastifySchema {
    /** Headers the route's success response carries beyond the ones every response has (`docs.plugin.ts`). */
    responseHeaders?: Readonly<Record<string, HeaderDoc>>
  }
  interface FastifyInstance {
    /** Files a tag of the OpenAPI document with its description (each context names its own). */
    describeTag(name: string, description: string): void
  }
}

export interface DocsPluginOptions {
  title?: string
  version?: string
}

/** `ETag: "<revision>"`: on a command's answer and on a query of one aggregate. */
export const ETAG: HeaderDoc = {
  description: 'The revision, quoted (`"3"`): send it back as `If-Match` with the next command.',
  schema: { type: 'string', pattern: '^"(0|[1-9][0-9]*)"$' },
  required: true,
}

/** Headers every answer has, or every answer of a kind; routes add their own with `schema.responseHeaders`. */
const REQUEST_ID: HeaderDoc = {
  description: "This request's id: the caller's `X-Request-Id` when it is a plain token, else a new one. Quote it in a report.",
  schema: { type: 'string' },
  required: true,
}
const RATE_LIMIT: Record<string, HeaderDoc> = {
  'RateLimit-Limit': { description: 'Requests a caller may send per window (while rate limiting is on).', schema: { type: 'string', pattern: '^[0-9]+$' } },
  'RateLimit-Remaining': { description: 'Requests left in the current window.', schema: { type: 'string', pattern: '^[0-9]+$' } },
  'RateLimit-Reset': { description: 'Seconds until the window starts over.', schema: { type: 'string', pattern: '^[0-9]+$' } },
}
const RETRY_AFTER: HeaderDoc = {
  description: 'Seconds to wait before trying again.',
  schema: { type: 'string', pattern: '^[0-9]+$' },
  required: true,
}
const WWW_AUTHENTICATE: HeaderDoc = { description: 'The scheme to authenticate with: `Bearer`.', schema: { type: 'string' }, required: true }

const OPERATIONS_TAG = { name: 'operations', description: 'Health probes and Prometheus metrics, for operators; no token needed.' }

/** The roles `requireRoles` attached to a route's `preValidation` hook, when it restricts them. */
function rolesOf(route: RouteOptions | undefined): readonly Role[] | undefined {
  return preValidationOf(route).map((hook) => (hook as { roles?: readonly Role[] }).roles).find((roles) => roles !== undefined)
}

function preValidationOf(route: RouteOptions | undefined): unknown[] {
  return route?.preValidation === undefined ? [] : [route.preValidation].flat()
}

/**
 * A `preValidation` hook for a route whose body may be left out: an absent body is validated (and handled) as `{}`.
 * The OpenAPI document marks such a route's request body as not required.
 */
export const emptyBodyWhenAbsent: preValidationAsyncHookHandler = Object.assign(
  async (request: FastifyRequest) => {
    if (request.body === undefined) request.body = {}
  },
  { absentBody: true },
)

/** The titles of the codes a status carries: the description of a problem response. */
function describeStatus(status: number): string {
  return Object.entries(ErrorCode)
    .filter(([, entry]) => entry.status === status)
    .map(([code, entry]) => `${entry.title} (\`${code}\`)`)
    .join('; ')
}

type JsonObject = Record<string, unknown>
/** What `@fastify/swagger` calls a response it has no description for. */
const NO_DESCRIPTION = 'Default Response'
type Document = JsonObject & { paths?: Record<string, Record<string, JsonObject>>; components?: Record<string, Record<string, unknown>> }

/**
 * `@fastify/swagger` reads a response's `headers` as JSON schemas, so a `HeaderDoc` arrives wrapped once more
 * (`{ description, schema: { schema, required } }`); this unwraps it into an OpenAPI header object (inline: a
 * generated client types a `$ref`'d header as always present). A response without a description gets its status
 * text (`OK`, `Created`). Then the error responses, the same on every route
 * for a status, move to `components.responses` and are referenced, so the document states each once.
 */
function shareProblemResponses(document: Document): void {
  const responses = ((document.components ??= {}).responses ??= {}) as Record<string, JsonObject>
  for (const operations of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      const answers = (operation.responses ?? {}) as Record<string, JsonObject>
      for (const [status, response] of Object.entries(answers)) {
        if (response.description === NO_DESCRIPTION) response.description = STATUS_CODES[status] ?? status
        const own = (response.headers ?? {}) as Record<string, { description?: string; schema: HeaderDoc & { schema?: HeaderDoc['schema'] } }>
        response.headers = Object.fromEntries(
          Object.entries(own).map(([name, header]) => [
            name,
            header.schema.schema === undefined
              ? header
              : { description: header.description, ...(header.schema.required && { required: true }), schema: header.schema.schema },
          ]),
        )
        if ((response.content as Record<string, unknown> | undefined)?.[PROBLEM_CONTENT_TYPE] === undefined) continue
        let name = `Problem${status}`
        for (let n = 2; responses[name] !== undefined && JSON.stringify(responses[name]) !== JSON.stringify(response); n++) {
          name = `Problem${status}_${n}`
        }
        responses[name] = response
        answers[status] = { $ref: `#/components/responses/${name}` }
      }
    }
  }
}

/** Drops the schemas nothing refers to (the zod registry converts each with an id twice, as input and output). */
function dropUnusedSchemas(document: Document): void {
  const schemas = document.components?.schemas as Record<string, unknown> | undefined
  if (!schemas) return
  const refsIn = (value: unknown): string[] => [...JSON.stringify(value).matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!)
  const reachable = new Set<string>()
  const { schemas: _all, ...rest } = document.components!
  const pending = refsIn([document.paths, rest])
  while (pending.length > 0) {
    const name = pending.pop()!
    if (reachable.has(name)) continue
    reachable.add(name)
    pending.push(...refsIn(schemas[name]))
  }
  for (const name of Object.keys(schemas)) if (!reachable.has(name)) delete schemas[name]
}

/**
 * OpenAPI 3 generated from the routes' zod schemas, served at `/docs` (UI) and `/docs/json`. Register it before any
 * route: it collects routes as they are added. On top of what `fastify-type-provider-zod` converts:
 *
 * - schemas with an id (`.meta({ id })`) land in `components.schemas` and are referenced, the `Problem` among them;
 * - error responses are `application/problem+json`, described by the titles of their codes;
 * - every response documents its headers: `X-Request-Id`; the `RateLimit-*` headers on rate-limited routes;
 *   `Retry-After` on 429, `WWW-Authenticate` on 401; the route's own (`schema.responseHeaders`: `ETag`,
 *   `X-Projection-Position`, …) on success;
 * - a route restricted by `requireRoles` names its roles in its description;
 * - a command whose body may be absent says so (`requestBody.required: false`);
 * - top-level tags (each context describes its own with `app.describeTag`), `servers`, `license` and bearer
 *   security, which the health and metrics routes turn off with `security: []`.
 */
const docsPlugin: FastifyPluginAsync<DocsPluginOptions> = async (app, options) => {
  const tags = new Map<string, string>([[OPERATIONS_TAG.name, OPERATIONS_TAG.description]])
  app.decorate('describeTag', (name: string, description: string) => void tags.set(name, description))
  /** `METHOD path` of the operations whose body may be absent. */
  const optionalBodies = new Set<string>()

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: options.title ?? 'Property community cases API',
        description:
          'Event-sourced case management for residential property communities (物业管理): the closed loop of complaints, ' +
          'repairs and disputes, mediation, disclosures and their tamper-evident ledger. Errors are RFC 9457 problem ' +
          'details with a stable `code`; revisions and positions are decimal strings; money is integer fen.',
        version: options.version ?? '0.1.0',
        license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
      },
      servers: [{ url: '/', description: 'The server that serves this document' }],
      security: [{ bearerAuth: [] }],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A token from `pnpm cli token`.' },
        },
      },
    },
    transform: (input) => {
      const out = jsonSchemaTransform(input) as { schema: JsonObject; url: string }
      const schema = out.schema
      if (!schema || schema.hide) return out
      const route = (input as { route?: RouteOptions }).route
      const method = String([route?.method ?? 'GET'].flat()[0]).toUpperCase()
      if (preValidationOf(route).some((hook) => (hook as { absentBody?: boolean }).absentBody)) optionalBodies.add(`${method} ${input.url}`)

      const roles = rolesOf(route)
      if (roles) {
        const who = `Roles: ${roles.join(', ')}; any other role is answered 403 \`FORBIDDEN\` before the request is validated.`
        schema.description = [schema.description, who].filter(Boolean).join('\n\n')
      }
      const own = (schema.responseHeaders ?? {}) as Record<string, HeaderDoc>
      delete schema.responseHeaders
      const limited = !UNLIMITED_ROUTE.test(input.url)
      const zodResponses = (input.schema?.response ?? {}) as Record<string, unknown>
      const responses = (schema.response ?? {}) as Record<string, JsonObject>
      for (const [status, json] of Object.entries(responses)) {
        const code = Number(status)
        const headers = {
          'X-Request-Id': REQUEST_ID,
          ...(limited && RATE_LIMIT),
          ...(code < 400 && own),
          ...(code === 401 && { 'WWW-Authenticate': WWW_AUTHENTICATE }),
          ...(code === 429 && { 'Retry-After': RETRY_AFTER }),
        }
        responses[status] = isProblemSchema(zodResponses[status])
          ? { description: describeStatus(code), headers, content: { [PROBLEM_CONTENT_TYPE]: { schema: json } } }
          : { ...json, headers }
      }
      return out
    },
    transformObject: (input) => {
      const document = jsonSchemaTransformObject(input) as Document
      for (const [path, operations] of Object.entries(document.paths ?? {})) {
        for (const [method, operation] of Object.entries(operations)) {
          // Fastify's path syntax (`:id`) was turned into OpenAPI's (`{id}`); the set has Fastify's.
          const url = path.replace(/\{([^}]+)\}/g, ':$1')
          const body = operation.requestBody as JsonObject | undefined
          if (body && optionalBodies.has(`${method.toUpperCase()} ${url}`)) body.required = false
        }
      }
      const used = new Set(
        Object.values(document.paths ?? {}).flatMap((operations) => Object.values(operations).flatMap((op) => (op.tags as string[]) ?? [])),
      )
      document.tags = [...tags].filter(([name]) => used.has(name)).map(([name, description]) => ({ name, description }))
      shareProblemResponses(document)
      dropUnusedSchemas(document)
      return document
    },
  })
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // The UI's own policy (its scripts and styles, by hash), replacing the API's `default-src 'none'` on these
    // routes: the page may not be framed by anyone, and it is served over plain HTTP on loopback, where upgrading
    // its requests to HTTPS would break it.
    staticCSP: true,
    transformStaticCSP: (header) =>
      header
        .replace("frame-ancestors 'self'", "frame-ancestors 'none'")
        .replace(/\s*upgrade-insecure-requests;?/, ''),
  })
}

export default fp(docsPlugin, { name: 'pc-docs', fastify: '5.x' })
