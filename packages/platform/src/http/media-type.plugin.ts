import { UnsupportedMediaTypeError } from '@pc/contracts'
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'

/** `charset=…` among a Content-Type's parameters, quoted or not. */
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)/i
const UTF8: ReadonlySet<string> = new Set(['utf-8', 'utf8'])

/**
 * Request bodies are JSON in UTF-8 (RFC 8259 §8.1), the only encoding the parser decodes. A body declared in
 * another charset (`application/json; charset=utf-16`) was read as UTF-8 all the same; it is refused with 415
 * before a byte is parsed. Other media types are refused by Fastify's parser, mapped to the same 415.
 */
const mediaTypePlugin: FastifyPluginAsync = async (app) => {
  app.addHook('preParsing', async (request) => {
    const type = request.headers['content-type']
    const charset = type === undefined ? undefined : CHARSET.exec(type)?.[1]
    if (charset !== undefined && !UTF8.has(charset.toLowerCase())) {
      throw new UnsupportedMediaTypeError('must be application/json in UTF-8 (charset=utf-8, or none)')
    }
  })
}

export default fp(mediaTypePlugin, { name: 'pc-media-type', fastify: '5.x' })
