export { SlaWorker, SLA_WORKER_LEASE, type SlaWorkerOptions, type SlaTick, type SlaRecorded } from './sla.worker.js'
