// The worker side of a queued run: takes evaluation jobs from the queue and runs them on this machine's own pool,
// with the limits and sandbox a local run has (the job carries them), until stopped.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { EvaluatorError } from '../../common/errors.js';
import { EvaluationPool } from '../../fitness/evaluation-pool.js';
import { Queue, Worker, type Job } from './bullmq.js';
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

/** Runs until the signal; resolves once the jobs in hand are finished and reported. */
export async function runQueueWorker(o: QueueWorkerOptions): Promise<{ jobsDone: number }> {
  await probeRedis(o.url, o.where, (connection) => new Queue(o.name, { connection }));
  const connection = { ...parseRedisUrl(o.url, o.where), maxRetriesPerRequest: null };
  const id = `${hostname()}:${process.pid}`;
  const beat: WorkerBeat = { id, host: hostname(), pid: process.pid, concurrency: o.concurrency, jobsDone: 0, startedAt: new Date().toISOString(), lastSeen: '' };
  /** One pool per problem and limits: a worker serves every run of its queue. */
  const pools = new Map<string, Promise<EvaluationPool>>();
  const poolFor = (dir: string, p: EvaluationJob['problem']): Promise<EvaluationPool> => {
    const key = JSON.stringify([p.hash, p.evaluator, p.stages, p.timeoutMs, p.memoryLimitMb]);
    let pool = pools.get(key);
    if (pool === undefined) {
      pool = EvaluationPool.open({ evaluatorPath: join(dir, p.evaluator), descriptors: p.descriptors, workers: o.concurrency, timeoutMs: p.timeoutMs, memoryLimitMb: p.memoryLimitMb, stages: p.stages });
      // A problem this machine cannot load is refused for every job of it, with the same reason, until the worker restarts.
      pools.set(key, pool);
    }
    return pool;
  };
  const lockMs = o.lockMs ?? 10_000;
  const worker = new Worker(o.name, async (job: Job) => {
    const data = job.data as EvaluationJob;
    const client = await worker.client;
    const bytes = await client.getBuffer(packKey(o.name, data.problem.hash));
    if (bytes === null) throw new Error(`${id}: the problem pack ${data.problem.hash} is not in Redis (its coordinator stores it again when it resumes)`);
    const dir = unpackProblem(data.problem.hash, bytes, o.cacheDir);
    let pool: EvaluationPool;
    try {
      pool = await poolFor(dir, data.problem);
    } catch (error) {
      const message = error instanceof EvaluatorError ? error.message.replace(dir, `<problem ${data.problem.hash.slice(0, 12)}>`) : (error as Error).message;
      throw new Error(`worker ${id} cannot evaluate this problem: ${message}`);
    }
    const evaluation = await pool.evaluate({ variantId: data.variantId, files: data.files, params: data.params as Record<string, never>, seed: data.seed, iteration: data.iteration, problemDir: dir });
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
  for (const p of pools.values()) await p.then((pool) => pool.close(), () => {});
  return { jobsDone: beat.jobsDone };
}
