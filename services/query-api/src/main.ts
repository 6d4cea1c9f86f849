import { serve } from '@pc/platform'
import { buildServer } from './server.js'

// The query API on its own (`pnpm --filter @pc/query-api start`). `pnpm start` runs the whole stack instead.
await serve({ service: 'query-api', build: buildServer })
