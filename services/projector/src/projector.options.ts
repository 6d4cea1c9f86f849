import type { Config, Runtime } from '@pc/platform'
import { loadOrCreateSigningKey } from '@pc/read-models'
import type { ProjectorConfig } from './config.js'
import type { ProjectorOptions } from './projector.js'

/**
 * The projector's options from configuration: the ledger signer (`LEDGER_SIGNING_KEY`, else a key generated once
 * into `DATA_DIR`, signing for `LEDGER_ORIGIN`), the batch, lease and head cadences, the SLA worker's round and the idempotency keys' TTL. One place, so the projector run
 * alone and the one `pnpm start` mounts behave the same.
 *
 * @example
 * await app.register(projectorPlugin, await projectorOptions(config, runtime, loadProjectorConfig(env)))
 */
export async function projectorOptions(
  config: Config,
  runtime: Pick<Runtime, 'logger'>,
  projector: ProjectorConfig,
): Promise<ProjectorOptions> {
  const signer = await loadOrCreateSigningKey({
    pem: projector.ledgerSigningKey,
    dataDir: config.dataDir,
    log: runtime.logger,
    origin: projector.ledgerOrigin,
  })
  return {
    batchSize: projector.batchSize,
    leasePollMs: projector.leasePollMs,
    ledger: { signer, headEvery: projector.ledgerHeadEvery, headSeconds: projector.ledgerHeadSeconds },
    sla: { intervalMs: projector.slaCheckSeconds * 1000 },
    idempotencyPurge: { ttlHours: projector.idempotencyTtlHours },
  }
}
