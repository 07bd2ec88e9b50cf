// The worker side of a queued run: takes evaluation jobs from the queue and runs them on this machine's own pool,
// with the limits and sandbox a local run has (the job carries them), until stopped.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { EvaluatorError } from '../../common/errors.js';
import { EvaluationPool } from '../../fitness/evaluation-pool.js';
import { Queue, UnrecoverableError, Worker, type Job } from './bullmq.js';
import { unpackProblem } from './problem-pack.js';
import { packKey, workersKey, type EvaluationJob, type EvaluationJobResult, type WorkerBeat } from './queue-jobs.js';
import { connected, parseRedisUrl, probeRedis, redactUrl } from './redis-url.js';

export interface QueueWorkerOptions {
  url: string;
  where: string;
  name: string;
  /** Evaluations at once: the size of this worker's own pool. */
  concurrency: number;
  /** Where problem packs are unpacked, one folder per hash. */
  cacheDir: string;
  signal: AbortSignal;
  onLog?: (line: string) => void;
  /** How long a job's lock lasts without renewal: after a worker dies, its job is taken again within about this (ms). */
  lockMs?: number;
}

const BEAT_MS = 2000;
/** Evaluation pools kept open at once; a worker serving many problems closes the least recently used idle ones. */
const MAX_POOLS = 3;

/** Runs until the signal; resolves once the jobs in hand are finished and reported. */
export async function runQueueWorker(o: QueueWorkerOptions): Promise<{ jobsDone: number }> {
  await probeRedis(o.url, o.where, (connection) => new Queue(o.name, { connection }));
  const connection = { ...parseRedisUrl(o.url, o.where), maxRetriesPerRequest: null };
  const id = `${hostname()}:${process.pid}`;
  const beat: WorkerBeat = { id, host: hostname(), pid: process.pid, concurrency: o.concurrency, jobsDone: 0, startedAt: new Date().toISOString(), lastSeen: '' };
  /** One pool per problem and limits (a worker serves every run of its queue); the least recently used idle ones are closed past MAX_POOLS. */
  const pools = new Map<string, { pool: Promise<EvaluationPool>; active: number; lastUsed: number }>();
  const poolFor = (dir: string, p: EvaluationJob['problem']) => {
    const key = JSON.stringify([p.hash, p.evaluator, p.stages, p.timeoutMs, p.memoryLimitMb, p.descriptors]);
    let entry = pools.get(key);
    if (entry === undefined) {
      // A problem this machine cannot load is refused for every job of it, with the same reason, until the pool is closed.
      entry = { pool: EvaluationPool.open({ evaluatorPath: join(dir, p.evaluator), descriptors: p.descriptors, workers: o.concurrency, timeoutMs: p.timeoutMs, memoryLimitMb: p.memoryLimitMb, stages: p.stages }), active: 0, lastUsed: 0 };
      pools.set(key, entry);
    }
    entry.active++;
    entry.lastUsed = performance.now();
    return entry;
  };
  const release = (entry: { active: number }) => {
    entry.active--;
    if (pools.size <= MAX_POOLS) return;
    const idle = [...pools].filter(([, e]) => e.active === 0).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [key, e] of idle.slice(0, pools.size - MAX_POOLS)) {
      pools.delete(key);
      void e.pool.then((pool) => pool.close(), () => {});
    }
  };
  const lockMs = o.lockMs ?? 10_000;
  const worker = new Worker(o.name, async (job: Job) => {
    const data = job.data as EvaluationJob;
    let dir = join(o.cacheDir, data.problem.hash);
    if (!existsSync(dir)) {
      const client = await worker.client;
      const bytes = await client.getBuffer(packKey(o.name, data.problem.hash));
      // Not there (Redis restarted, and the coordinator stores it again within a second): a plain error, so BullMQ tries the job again.
      if (bytes === null) throw new Error(`${id}: the problem pack ${data.problem.hash} is not in Redis yet`);
      dir = unpackProblem(data.problem.hash, bytes, o.cacheDir);
    }
    const entry = poolFor(dir, data.problem);
    let evaluation;
    try {
      let pool: EvaluationPool;
      try {
        pool = await entry.pool;
      } catch (error) {
        const message = error instanceof EvaluatorError ? error.message.replace(dir, `<problem ${data.problem.hash.slice(0, 12)}>`) : (error as Error).message;
        // This machine lacks what the evaluator needs: refused at once, not tried again, with the reason the run records.
        throw new UnrecoverableError(`worker ${id} cannot evaluate this problem: ${message}`);
      }
      evaluation = await pool.evaluate({ variantId: data.variantId, files: data.files, params: data.params as Record<string, never>, seed: data.seed, iteration: data.iteration, problemDir: dir });
    } finally {
      release(entry);
    }
    beat.jobsDone++;
    o.onLog?.(`job ${job.id}: ${evaluation.status}${evaluation.status === 'ok' ? ` fitness ${evaluation.fitness}` : ` (${evaluation.reason})`}`);
    const result: EvaluationJobResult = { runId: data.runId, iteration: data.iteration, variantId: data.variantId, seed: data.seed, evaluation, worker: id };
    return result;
  }, { connection, concurrency: o.concurrency, lockDuration: lockMs, stalledInterval: Math.max(1000, lockMs / 2), maxStalledCount: 1000, autorun: false });
  let lastError = '';
  worker.on('error', (e) => { if (e.message !== lastError) { lastError = e.message; o.onLog?.(`redis: ${e.message}`); } });
  worker.on('failed', (job, e) => o.onLog?.(`job ${job?.id ?? '?'} refused: ${e.message}`));
  let client!: Awaited<typeof worker.client>;
  try {
    await connected((async () => { client = await worker.client; await client.ping(); })(), [worker], o.url, o.where);
  } catch (error) {
    await worker.close(true).catch(() => {});
    throw error;
  }
  const report = async (): Promise<void> => {
    beat.lastSeen = new Date().toISOString();
    try { await client.hset(workersKey(o.name), id, JSON.stringify(beat)); } catch { /* Redis away: the next beat tries again */ }
  };
  await report();
  const timer = setInterval(() => void report(), BEAT_MS);
  o.onLog?.(`worker ${id} takes jobs from queue "${o.name}" at ${redactUrl(o.url)} (${o.concurrency} at once)`);
  const running = worker.run();
  await new Promise<void>((resolve) => { if (o.signal.aborted) resolve(); else o.signal.addEventListener('abort', () => resolve(), { once: true }); });
  clearInterval(timer);
  try { await client.hdel(workersKey(o.name), id); } catch { /* gone with Redis */ }
  // Finish the jobs in hand and report them; take no more.
  await worker.close();
  await running.catch(() => {});
  for (const e of pools.values()) await e.pool.then((pool) => pool.close(), () => {});
  return { jobsDone: beat.jobsDone };
}
