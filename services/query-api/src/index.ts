export { queryApp, type QueryAppOptions } from './app.js'
export { buildServer, type QueryServerOptions } from './server.js'
export { PROJECTION_POSITION_HEADER, PROJECTION_STALE_HEADER, WAIT_FOR_TIMEOUT_MS } from '@pc/contexts'
