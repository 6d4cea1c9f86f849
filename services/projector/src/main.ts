import { serve } from '@pc/platform'
import { loadProjectorConfig } from './config.js'
import { buildServer } from './server.js'

// The projector on its own (`pnpm --filter @pc/projector start`); `pnpm start` mounts it next to the APIs.
// It serves only `/health/*` and `/metrics` on PORT; run several for a standby: each projection is leased.
await serve({
  service: 'projector',
  build: (config, runtime) => buildServer(config, runtime, loadProjectorConfig()),
})
