import { writeFile } from 'node:fs/promises'
import { openRuntime } from '@pc/platform'
import { type CliCommand, configOrReport, parseCommandArgs } from './command.js'
import { buildApi } from './start.command.js'

/**
 * `cli openapi [--out <file>]`: the OpenAPI document exactly as the server serves it at `/docs/json`, from the same
 * routes (`buildApi`, what `start` mounts). `pnpm client:generate` writes `packages/client/openapi.json` with it, and
 * a client in another language is generated from that file or from the running server's `/docs/json`.
 */
export const openapiCommand: CliCommand = {
  name: 'openapi',
  summary: 'print the OpenAPI document the server serves at /docs/json (or write it with --out)',
  usage: 'openapi [--out <file>]',
  async run(args, io) {
    const parsed = parseCommandArgs('openapi', args, io, { out: { type: 'string', short: 'o' } })
    if (typeof parsed === 'number') return parsed
    const config = configOrReport(io)
    if (!config) return 1
    // Its logs would mix with the document on stdout.
    const runtime = await openRuntime({ ...config, logLevel: 'silent' })
    try {
      const app = await buildApi(config, runtime)
      try {
        await app.ready()
        const text = `${JSON.stringify(app.swagger(), null, 2)}\n`
        if (parsed.values.out === undefined) io.out(text.trimEnd())
        else {
          await writeFile(parsed.values.out, text)
          io.err(`wrote ${parsed.values.out}`)
        }
      } finally {
        await app.close()
      }
    } finally {
      await runtime.close()
    }
    return 0
  },
}
