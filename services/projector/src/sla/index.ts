export { SlaWorker, SLA_WORKER_LEASE, type SlaWorkerOptions, type SlaTick, type SlaRecorded } from './sla.worker.js'
export { deciderWatcher, type DeadlineWatcher, type DueCommand, type FoundDeadline, type DeciderWatcherSpec } from './deadline-watcher.js'
export { slaBreachWatcher, findSlaBreaches } from './sla-breach.watcher.js'
export { deadlineWatchers } from './watchers.js'
