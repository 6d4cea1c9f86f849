export { startEmbeddedPostgres, freePort, type EmbeddedCluster, type EmbeddedOptions } from './embedded.js'
