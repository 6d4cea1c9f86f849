export { queryApp } from './app.js'
export { buildServer } from './server.js'
