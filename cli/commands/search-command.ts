// `ouroboros run` and `ouroboros resume`: a search in the foreground, Ctrl-C safe, with live progress and a summary.
import { rmSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { archiveHeader, elitesToCsv, elitesToJsonl, writeVariantFiles } from '../../engine/output/export-elites.js';
import { RunReader } from '../../engine/output/run-reader.js';
import { replayRun, resumeRun, startRun, type RunOptions, type RunResult } from '../../engine/runs/run.js';
import type { SearchEngine } from '../../engine/loop/search-engine.js';
import { ProgressReporter } from '../progress-reporter.js';
import { EXIT } from '../report-error.js';

export interface SearchArgs {
  config?: string;
  db?: string;
  seed?: number;
  workers?: number;
  maxIterations?: number;
  quiet: boolean;
  overwrite?: boolean;
  stealLock?: boolean;
  baseUrl?: string | undefined;
  /** The run database to replay. */
  replay?: string;
  /** --queue URL, --queue-name NAME, --local-workers N. */
  queue?: string;
  queueName?: string;
  localWorkers?: number;
}

/** Runs (or resumes) a search; returns the process exit code. */
export async function searchCommand(mode: 'run' | 'resume' | 'replay', args: SearchArgs): Promise<number> {
  const reporter = new ProgressReporter(process.stdout, args.quiet);
  const controller = new AbortController();
  let engine: SearchEngine | undefined;
  let signals = 0;
  const onSignal = (name: string) => {
    signals++;
    if (engine === undefined && signals > 1) {
      // Still starting (loading the evaluator): nothing has been written, so leave at once.
      reporter.message(`${name} again: leaving before the run started`);
      process.exit(EXIT.interrupted);
    }
    if (signals === 1) {
      controller.abort();
      reporter.message(`\n${name}: stopping; finishing the iterations in flight so that nothing is lost (${name === 'SIGINT' ? 'Ctrl-C' : name} again to abandon them)`);
    } else {
      reporter.message(`${name} again: abandoning the iterations in flight; the database keeps every committed iteration`);
      engine?.abort();
    }
  };
  const sigint = () => onSignal('SIGINT');
  const sigterm = () => onSignal('SIGTERM');
  process.on('SIGINT', sigint);
  process.on('SIGTERM', sigterm);
  const options: RunOptions = {
    signal: controller.signal,
    onProgress: (p) => reporter.update(p),
    onEngine: (e) => { engine = e; },
    onWarning: (m) => reporter.message(`warning: ${m}`),
    onEndpoint: (e) => reporter.message(`LLM endpoint: ${e.baseURL} (from ${e.from})${e.keyNotice ? `; ${e.keyNotice}` : ''}`),
    ...(args.baseUrl !== undefined ? { baseUrl: args.baseUrl } : {}),
    ...(args.workers !== undefined ? { workers: args.workers } : {}),
    ...(args.maxIterations !== undefined ? { maxIterations: args.maxIterations } : {}),
    ...(args.queue !== undefined || args.queueName !== undefined || args.localWorkers !== undefined ? {
      queue: { ...(args.queue !== undefined ? { url: args.queue } : {}), ...(args.queueName !== undefined ? { name: args.queueName } : {}), ...(args.localWorkers !== undefined ? { localWorkers: args.localWorkers } : {}) },
    } : {}),
  };
  let result: RunResult;
  try {
    result = mode === 'run'
      ? await startRun(args.config!, { ...options, ...(args.db !== undefined ? { db: args.db } : {}), ...(args.seed !== undefined ? { seed: args.seed } : {}), overwrite: args.overwrite ?? false })
      : mode === 'replay'
        ? await replayRun(args.replay!, { ...options, ...(args.db !== undefined ? { db: args.db } : {}), overwrite: args.overwrite ?? false })
        : await resumeRun(args.db!, { ...options, stealLock: args.stealLock ?? false });
  } finally {
    reporter.finish();
    process.off('SIGINT', sigint);
    process.off('SIGTERM', sigterm);
  }
  summarise(result);
  if (result.replay !== undefined) {
    const r = result.replay;
    process.stdout.write(r.identical
      ? `replay: the archive is identical to ${shortPath(r.source)}'s (${r.cells} cells)\n`
      : `replay: the archive DIFFERS from ${shortPath(r.source)}'s (${r.cells} cells against ${r.sourceCells})\n`);
    if (!r.identical) return EXIT.llm;
  }
  return result.stopReason === 'interrupted' || result.stopReason === 'aborted' ? EXIT.interrupted : EXIT.ok;
}

function summarise(result: RunResult): void {
  const reader = RunReader.open(result.db);
  try {
    const s = reader.status();
    const finished = result.stopReason !== 'interrupted' && result.stopReason !== 'aborted';
    // Exports first: a closed pipe on standard output must not cost the user their files.
    const base = result.db.replace(/\.sqlite$/, '');
    const bestDir = `${base}.best`;
    if (finished) {
      const header = archiveHeader(reader);
      const rows = reader.elites();
      writeFileSync(`${base}.elites.jsonl`, elitesToJsonl(rows, header));
      writeFileSync(`${base}.elites.csv`, elitesToCsv(rows, header));
      rmSync(bestDir, { recursive: true, force: true });
      const shown = s.best ? reader.variant(s.best.id) : undefined;
      if (shown !== undefined && !('error' in shown)) writeVariantFiles(shown.variant.files, bestDir);
    }
    const db = shortPath(result.db);
    const say = (line = '') => process.stdout.write(line + '\n');
    say(`\nstopped: ${describeStop(result.stopReason)} after ${s.iterations} iterations, ${s.evaluations} evaluations`);
    const seed = s.seedVariant.fitness;
    if (s.best) {
      const gain = seed === null ? '' : ` (seed ${seed.toPrecision(5)}, ${s.best.fitness >= seed ? '+' : ''}${(s.best.fitness - seed).toPrecision(4)})`;
      say(`best fitness ${s.best.fitness.toPrecision(5)}${gain}: variant ${s.best.id}`);
    }
    say(`archive: ${s.archive.filledCells}/${s.archive.totalCells} cells filled (coverage ${(s.archive.coverage * 100).toFixed(1)}%), QD score ${s.archive.qdScore.toPrecision(5)}`);
    say(`this session: ${result.pool.evaluations} evaluations in ${(result.pool.wallMs / 1000).toFixed(1)} s ` +
      `(${(result.pool.evaluations / (result.pool.wallMs / 1000)).toFixed(1)}/s) on ${result.workers} workers, pool utilisation ${(result.pool.utilisation * 100).toFixed(0)}%`);
    if (result.pool.workersReplaced > 0) {
      say(`workers replaced after a timeout or a crash: ${result.pool.workersReplaced}${result.pool.outOfMemory > 0 ? ` (${result.pool.outOfMemory} out of memory)` : ''}; ${result.pool.liveWorkers} of ${result.workers} workers alive at the end`);
    }
    if (result.llm !== undefined) {
      const u = s.llm;
      say(`LLM: ${u.calls} calls, ${u.tokensIn + u.tokensOut} tokens, $${u.cost.toFixed(4)} in all; this session ${result.llm.calls} sent, ${result.llm.reused} answered from stored answers, ` +
        `engine time outside HTTP ${result.llm.calls + result.llm.reused > 0 ? (result.llm.engineMs / (result.llm.calls + result.llm.reused)).toFixed(2) : '0'} ms per call`);
    }
    say(`database: ${db}`);
    if (!finished) {
      say(`resume with: ouroboros resume ${db}`);
      return;
    }
    say(`exports: ${shortPath(`${base}.elites.jsonl`)}, ${shortPath(`${base}.elites.csv`)}, best variant's files in ${shortPath(bestDir)}/`);
    // Only the iteration budget can be raised on resume; after another budget, say so instead.
    const further = result.stopReason === 'iterations'
      ? ` | ouroboros resume ${db} --max-iterations ${s.iterations * 2}`
      : ` (the ${describeStop(result.stopReason).replace(/ reached$/, '')} cannot be raised on resume: start a new run with a larger one)`;
    say(`next: ouroboros status ${db} | ouroboros show ${db} ${s.best?.id ?? '<id>'}${further}`);
  } finally {
    reader.close();
  }
}

/** A path relative to the current folder when it lies below it, else absolute. */
function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') ? path : rel;
}

function describeStop(reason: RunResult['stopReason']): string {
  switch (reason) {
    case 'iterations': return 'iteration budget reached';
    case 'evaluations': return 'evaluation budget reached';
    case 'wall-clock': return 'wall-clock budget reached';
    case 'target-fitness': return 'target fitness reached';
    case 'tokens': return 'LLM token budget reached (counting the calls in flight)';
    case 'cost': return 'LLM cost budget reached (counting the calls in flight)';
    case 'interrupted': return 'interrupted (every finished iteration is committed)';
    case 'aborted': return 'abandoned (iterations in flight were dropped; committed ones are safe)';
  }
}
