export { commandApp } from './app.js'
export { buildServer } from './server.js'
export { purgeExpiredKeys, PURGE_BATCH_SIZE } from './idempotency.js'
