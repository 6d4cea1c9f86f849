import { createHttpServer, type Config, type HttpServer, type Runtime } from '@pc/platform'
import { loadOrCreateSigningKey } from '@pc/read-models'
import type { ProjectorConfig } from './config.js'
import projectorPlugin from './projector.plugin.js'

/**
 * The projector run alone: the shared platform server (for `/health/*` and `/metrics`; the projector has no API of
 * its own) with the projector mounted. Not listening yet: `main.ts` decides.
 */
export async function buildServer(config: Config, runtime: Runtime, projector: ProjectorConfig): Promise<HttpServer> {
  const signer = await loadOrCreateSigningKey({ pem: projector.ledgerSigningKey, dataDir: config.dataDir, log: runtime.logger })
  const app = await createHttpServer(config, runtime)
  await app.register(projectorPlugin, {
    batchSize: projector.batchSize,
    leasePollMs: projector.leasePollMs,
    ledger: { signer, headEvery: projector.ledgerHeadEvery, headSeconds: projector.ledgerHeadSeconds },
  })
  return app
}
