import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildServer } from '@pc/command-api'
import { loadConfig, openRuntime, signToken } from '@pc/platform'
import { holdUntilStopped } from '../lib/hold.js'
import type { Tasks } from '../lib/tasks.js'
import { BARE_PATH, REPORT_BODY } from '../lib/http-payloads.js'

/**
 * Shape 5's server: the command API exactly as `pnpm start` serves it (platform server, auth, zod, error mapping,
 * rate limits; logging silenced, since log I/O is not what is measured), plus one bare route on the same server that does the
 * least a write request can: take the JSON body and INSERT it, one commit. It listens on loopback until stopped.
 */

const SECRET = 'bench-secret-that-is-long-enough-for-hs256'

export const tasks: Tasks = {
  async 'http-server'(p) {
    const dataDir = await mkdtemp(join(tmpdir(), 'pc-bench-http-'))
    const config = loadConfig({
      DATABASE_URL: p.url,
      DATA_DIR: dataDir,
      JWT_SECRET: SECRET,
      LOG_LEVEL: 'silent',
      // One token (and one address for the bare route) sends tens of thousands of requests a minute here. The limiter
      // stays on, so both routes pay for its count, but at its highest value it never refuses one.
      RATE_LIMIT_PER_MINUTE: '10000000',
    })
    const runtime = await openRuntime(config)
    const app = await buildServer(config, runtime)
    await runtime.pool.query('create table if not exists bench_bare (id bigint generated always as identity primary key, body jsonb not null)')
    app.post(BARE_PATH, async (request, reply) => {
      const { rows } = await runtime.pool.query<{ id: string }>({
        name: 'bench_bare_insert',
        text: 'insert into bench_bare (body) values ($1) returning id',
        values: [JSON.stringify(request.body)],
      })
      return reply.code(201).send({ id: rows[0]!.id })
    })
    await app.listen({ host: '127.0.0.1', port: 0 })
    holdUntilStopped(async () => {
      await app.close()
      await runtime.close()
      await rm(dataDir, { recursive: true, force: true })
    })
    const address = app.server.address()
    const port = typeof address === 'object' && address ? address.port : 0
    const token = await signToken(SECRET, { sub: 'staff-bench', roles: ['staff'], expiresIn: '2h' })
    const caseIds: string[] = []
    for (let i = 0; i < p.cases; i++) {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/cases',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        payload: REPORT_BODY,
      })
      if (response.statusCode !== 201) throw new Error(`POST /v1/cases answered ${response.statusCode}: ${response.body}`)
      caseIds.push((response.json() as { id: string }).id)
    }
    return { port, token, caseIds }
  },
}
