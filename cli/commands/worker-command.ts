// `ouroboros worker <redis-url>`: a long-lived process that evaluates queued runs' jobs on this machine.
import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';

export interface WorkerArgs { url: string; concurrency?: number | undefined; queue: string; cache?: string | undefined; quiet: boolean; lockMs?: number }

/** Runs until SIGINT or SIGTERM, then finishes the jobs in hand; returns the exit code. */
export async function workerCommand(args: WorkerArgs): Promise<number> {
  const controller = new AbortController();
  const stop = (name: string) => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`${name}: finishing the jobs in hand, taking no more (${name} again to leave at once; their jobs are taken again by another worker)\n`);
    controller.abort();
  };
  const sigint = () => stop('SIGINT');
  const sigterm = () => stop('SIGTERM');
  process.on('SIGINT', sigint);
  process.on('SIGTERM', sigterm);
  const cache = args.cache ?? join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'ouroboros', 'problems');
  try {
    // Loaded here, not at the CLI's start: BullMQ takes a fifth of a second that other commands need not pay.
    const { runQueueWorker } = await import('../../engine/queue/queue-worker.js');
    const { jobsDone } = await runQueueWorker({
      url: args.url, where: '<redis-url>', name: args.queue, concurrency: args.concurrency ?? availableParallelism(), cacheDir: cache, signal: controller.signal, ...(args.lockMs !== undefined ? { lockMs: args.lockMs } : {}),
      onLog: (line) => { if (!args.quiet || !line.startsWith('job ')) process.stdout.write(`${line}\n`); },
    });
    process.stdout.write(`stopped after ${jobsDone} jobs\n`);
    return 0;
  } finally {
    process.off('SIGINT', sigint);
    process.off('SIGTERM', sigterm);
  }
}
