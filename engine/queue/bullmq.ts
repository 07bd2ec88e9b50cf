// The one door through which BullMQ (and the ioredis client it brings) enters: the coordinator's queue pool and the
// worker command import it from here.
export { Job, Queue, QueueEvents, UnrecoverableError, Worker } from 'bullmq';
export type { ConnectionOptions } from 'bullmq';
