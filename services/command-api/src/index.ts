export { commandApp } from './app.js'
export { buildServer } from './server.js'
