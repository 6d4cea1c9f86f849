import { serve } from '@pc/platform'
import { buildServer } from './server.js'

// The command API on its own (`pnpm --filter @pc/command-api start`). `pnpm start` runs the whole stack instead.
await serve({ service: 'command-api', build: buildServer })
