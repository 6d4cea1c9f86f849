export { queryApp } from './app.js'
export { buildServer } from './server.js'
export type { QueryAppOptions } from './options.js'
export { PROJECTION_POSITION_HEADER, PROJECTION_STALE_HEADER, WAIT_FOR_TIMEOUT_MS } from './read-your-writes.js'
