export { startProjector, type Projector, type ProjectorOptions, type ProjectorRuntime } from './projector.js'
export { default as projectorPlugin } from './projector.plugin.js'
export { loadProjectorConfig, type ProjectorConfig } from './config.js'
export { buildServer } from './server.js'
