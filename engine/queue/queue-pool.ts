// QueuePool: the coordinator's side of a queued run. It evaluates like the local pool, but sends each evaluation to
// a BullMQ queue on Redis, where `ouroboros worker` processes on any machine take them (and, with local workers,
// keeps some on this machine's own pool).
import type { Evaluation } from '../../common/types.js';
import type { EvaluationInput } from '../../fitness/evaluator.js';
import type { EvaluationService, PoolStats } from '../../fitness/evaluation-pool.js';
import type { Problem } from '../config/problem.js';
import { Job, Queue, QueueEvents } from './bullmq.js';
import { packProblem } from './problem-pack.js';
import { jobIdOf, KEEP_SECONDS, packKey, RESULT_SECONDS, workersKey, type EvaluationJob, type EvaluationJobResult, type WorkerBeat } from './queue-jobs.js';
import { connected, parseRedisUrl, probeRedis, redactUrl } from './redis-url.js';

export interface QueuePoolOptions {
  /** redis:// or rediss:// URL; its password (or OUROBOROS_REDIS_PASSWORD) is used, never stored or shown. */
  url: string;
  /** The flag or config field the URL came from, for errors. */
  where: string;
  /** Queue name (default "ouroboros"): coordinators and workers of one name share jobs. */
  name: string;
  runId: string;
  problem: Problem;
  timeoutMs: number;
  memoryLimitMb: number;
  /** This machine's own pool, used beside the queue while it has a free worker; null: every evaluation is queued. */
  local: EvaluationService | null;
  localWorkers: number;
  /** How often jobs in flight are checked in Redis (results whose event was missed, jobs lost with a Redis restart). */
  pollMs?: number;
  onWarning?: (message: string) => void;
}

/** What `status` and `serve` show of the queue, written to the run by the coordinator. */
export interface QueueSnapshot { url: string; name: string; at: string; waiting: number; active: number; inFlight: number; resent: number; workers: WorkerBeat[] }

interface Pending { job: EvaluationJob; resolve: (e: Evaluation) => void; sent: boolean }

/** The engine's evaluation service for a queued run; every result is checked against the job it answers. */
export class QueuePool implements EvaluationService {
  private readonly pending = new Map<string, Pending>();
  private readonly counters = { evaluations: 0, busyMs: 0, resent: 0, ignored: 0 };
  private localActive = 0;
  private closed = false;
  private polling = false;
  private timer: NodeJS.Timeout | undefined;
  private lastError = '';

  private warned = new Set<string>();
  private lastPackRefresh = 0;

  private constructor(private readonly o: QueuePoolOptions, readonly queue: Queue, private readonly events: QueueEvents,
    private readonly pack: { hash: string; bytes: Buffer }) {}

  /** Connects (a wrong password or an unreachable server is a ConfigError naming the URL without its password) and stores the problem's pack. */
  static async open(o: QueuePoolOptions): Promise<QueuePool> {
    await probeRedis(o.url, o.where, (connection) => new Queue(o.name, { connection }));
    const connection = { ...parseRedisUrl(o.url, o.where), maxRetriesPerRequest: null };
    const pack = packProblem(o.problem.dir);
    const queue = new Queue(o.name, { connection });
    const events = new QueueEvents(o.name, { connection });
    const pool = new QueuePool(o, queue, events, pack);
    queue.on('error', (e) => pool.redisError(e.message));
    events.on('error', (e) => pool.redisError(e.message));
    try {
      await connected((async () => { await (await queue.client).ping(); await events.waitUntilReady(); })(), [queue, events], o.url, o.where);
      await pool.storePack();
    } catch (error) {
      await Promise.allSettled([queue.close(), events.close()]);
      throw error;
    }
    events.on('completed', ({ jobId, returnvalue }) => pool.settle(jobId, returnvalue));
    // Also sent for an attempt BullMQ will make again (a worker that found no problem pack yet): only a job left in the failed set counts.
    events.on('failed', ({ jobId, failedReason }) => void pool.queue.getJobState(jobId).then((state) => { if (state === 'failed') pool.refused(jobId, failedReason); }, () => {}));
    pool.timer = setInterval(() => void pool.poll(), o.pollMs ?? 1000);
    return pool;
  }

  async evaluate(input: EvaluationInput): Promise<Evaluation> {
    if (this.o.local !== null && this.localActive < this.o.localWorkers) {
      this.localActive++;
      try { return await this.o.local.evaluate(input); } finally { this.localActive--; }
    }
    const p = this.o.problem;
    const job: EvaluationJob = {
      runId: this.o.runId, iteration: input.iteration, variantId: input.variantId, seed: input.seed, files: input.files, params: input.params,
      problem: { hash: this.pack.hash, evaluator: p.manifest.evaluator, descriptors: p.descriptors, stages: p.stages, timeoutMs: this.o.timeoutMs, memoryLimitMb: this.o.memoryLimitMb },
    };
    const id = jobIdOf(job);
    if (this.closed) return { status: 'failed', reason: 'worker-exit', message: 'the queue was closed before the evaluation was sent', durationMs: 0, seed: input.seed };
    return new Promise<Evaluation>((resolve) => {
      const earlier = this.pending.get(id);
      // The same evaluation asked twice (a re-check of one seed): both wait for the one job.
      if (earlier !== undefined) { const first = earlier.resolve; earlier.resolve = (e) => { first(e); resolve(e); }; return; }
      this.pending.set(id, { job, resolve, sent: false });
      void this.send(id);
    });
  }

  /** Never: results come back in any order and the engine commits in order anyway; holding commits would only add latency. */
  saturated(): boolean {
    return false;
  }

  liveWorkers(): number {
    return this.o.localWorkers;
  }

  stats(): PoolStats {
    const local = this.o.local?.stats();
    return {
      workers: this.o.localWorkers, evaluations: this.counters.evaluations + (local?.evaluations ?? 0), busyMs: this.counters.busyMs + (local?.busyMs ?? 0),
      workersReplaced: local?.workersReplaced ?? 0, outOfMemory: local?.outOfMemory ?? 0, workerErrors: local?.workerErrors ?? [],
    };
  }

  /** Gives up every evaluation in flight (a second Ctrl-C): they are not committed; their jobs stay queued for a resume. */
  abortAll(): void {
    this.closed = true;
    this.o.local?.abortAll();
    for (const [id, p] of this.pending) { this.pending.delete(id); p.resolve({ status: 'failed', reason: 'worker-exit', message: 'the run was aborted', durationMs: 0, seed: p.job.seed }); }
  }

  /** Closes within a few seconds even with Redis away (a second Ctrl-C must end the process). */
  async close(): Promise<void> {
    this.abortAll();
    clearInterval(this.timer);
    const closed = Promise.allSettled([this.queue.close(), this.events.close()]);
    const inTime = await Promise.race([closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3000).unref())]);
    if (!inTime) await Promise.allSettled([this.queue.disconnect(), this.events.disconnect()]);
    await this.o.local?.close();
  }

  /** A Redis error, told once until it changes (the connections retry on their own; jobs lost meanwhile are re-sent). */
  private redisError(message: string): void {
    if (message === this.lastError) return;
    this.lastError = message;
    this.o.onWarning?.(`Redis at ${redactUrl(this.o.url)}: ${message.split('\n')[0]} (retrying; nothing in flight is lost)`);
  }

  /** The queue as Redis sees it now, and the workers that reported in. */
  async snapshot(): Promise<QueueSnapshot> {
    const client = await this.queue.client;
    const counts = await this.queue.getJobCounts('waiting', 'active', 'prioritized', 'delayed');
    const beats = Object.values(await client.hgetall(workersKey(this.o.name))).map((v) => JSON.parse(v) as WorkerBeat).sort((a, b) => a.id.localeCompare(b.id));
    return {
      url: redactUrl(this.o.url), name: this.o.name, at: new Date().toISOString(), waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0),
      active: counts.active ?? 0, inFlight: this.pending.size, resent: this.counters.resent, workers: beats,
    };
  }

  private async storePack(): Promise<void> {
    const client = await this.queue.client;
    await client.set(packKey(this.o.name, this.pack.hash), this.pack.bytes, 'EX', KEEP_SECONDS);
  }

  private async send(id: string): Promise<void> {
    const p = this.pending.get(id);
    if (p === undefined || this.closed) return;
    try {
      // A plain failure on a worker (the problem pack not in Redis yet) is tried again; a refusal is not (UnrecoverableError).
      await this.queue.add('evaluate', p.job, { jobId: id, attempts: 100, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: { age: RESULT_SECONDS, count: 20_000 }, removeOnFail: { age: RESULT_SECONDS, count: 20_000 } });
      p.sent = true;
    } catch (error) {
      // Redis away: the poll sends it again once it is back.
      this.redisError((error as Error).message);
    }
  }

  /** A result from the queue: applied only to the job it names, once; anything else (a duplicate, another run's) is ignored. */
  private settle(jobId: string, value: unknown): void {
    const p = this.pending.get(jobId);
    if (p === undefined) return;
    let result: EvaluationJobResult;
    try {
      result = (typeof value === 'string' ? JSON.parse(value) : value) as EvaluationJobResult;
    } catch {
      return;
    }
    const j = p.job;
    if (result?.runId !== j.runId || result.iteration !== j.iteration || result.variantId !== j.variantId || result.seed !== j.seed || result.evaluation === undefined) {
      this.counters.ignored++;
      if (!this.warned.has(jobId)) this.o.onWarning?.(`ignored a queue result for job ${jobId} that names another evaluation (run ${String(result?.runId)}, iteration ${String(result?.iteration)}); waiting for the job's own`);
      this.warned.add(jobId);
      return;
    }
    this.pending.delete(jobId);
    this.counters.evaluations++;
    this.counters.busyMs += result.evaluation.durationMs;
    p.resolve(result.evaluation);
  }

  /** A job a worker refused (it could not unpack the problem or load the evaluator): recorded as a failed evaluation with the worker's reason. */
  private refused(jobId: string, reason: string): void {
    const p = this.pending.get(jobId);
    if (p === undefined) return;
    this.pending.delete(jobId);
    p.resolve({ status: 'failed', reason: 'threw', message: `a queue worker refused the job: ${reason}`, durationMs: 0, seed: p.job.seed });
  }

  /** Finds results whose event was missed, and sends again the jobs Redis no longer has (a restart without persistence). */
  private async poll(): Promise<void> {
    if (this.polling || this.closed || this.pending.size === 0) return;
    this.polling = true;
    try {
      // The pack is kept a day after the last look: a long run renews it, a restarted Redis gets it again.
      if (performance.now() - this.lastPackRefresh > 60_000) {
        const client = await this.queue.client;
        if ((await client.expire(packKey(this.o.name, this.pack.hash), KEEP_SECONDS)) === 0) await this.storePack();
        this.lastPackRefresh = performance.now();
      }
      let packChecked = false;
      for (const [id, p] of [...this.pending]) {
        if (!p.sent) { await this.send(id); continue; }
        const state = await this.queue.getJobState(id);
        if (state === 'completed' || state === 'failed') {
          const job = await Job.fromId(this.queue, id);
          if (job === undefined) continue;
          if (state === 'completed') this.settle(id, job.returnvalue);
          else this.refused(id, job.failedReason);
        } else if (state === 'unknown') {
          if (!packChecked) { await this.storePack(); packChecked = true; }
          this.counters.resent++;
          p.sent = false;
          await this.send(id);
        }
      }
    } catch (error) {
      this.redisError((error as Error).message);
    } finally {
      this.polling = false;
    }
  }
}

