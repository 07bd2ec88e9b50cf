// `ouroboros fork`: a new run from another run's state at an iteration, under the same or a changed config; then it runs.
import { relative } from 'node:path';
import { forkRun } from '../../engine/runs/run-fork.js';
import { EXIT } from '../report-error.js';
import { searchCommand } from './search-command.js';

export interface ForkArgs {
  source: string;
  at: number;
  db: string;
  config?: string | undefined;
  overwrite: boolean;
  createOnly: boolean;
  maxIterations?: number | undefined;
  workers?: number | undefined;
  quiet: boolean;
}

export async function forkCommand(args: ForkArgs): Promise<number> {
  const fork = forkRun(args.source, { at: args.at, db: args.db, overwrite: args.overwrite, ...(args.config !== undefined ? { config: args.config } : {}) });
  const show = (p: string) => relative(process.cwd(), p) || p;
  process.stdout.write(`forked ${show(fork.source)} at iteration ${fork.at} into ${show(fork.db)}: ${fork.at} iterations kept, archive rebuilt from the log (${fork.cells} cells${fork.rebinned ? ', every stored variant re-binned into the new archive' : ''}); the source is unchanged\n`);
  process.stdout.write(fork.changes.length === 0 ? 'settings: the source\'s\n' : `settings changed (recorded in the new run):\n${fork.changes.map((c) => `  ${c}`).join('\n')}\n`);
  if (args.createOnly) {
    process.stdout.write(`continue it with: ouroboros resume ${show(fork.db)}${args.maxIterations !== undefined ? ` --max-iterations ${args.maxIterations}` : ''}\n`);
    return EXIT.ok;
  }
  return searchCommand('resume', { db: fork.db, quiet: args.quiet, ...(args.workers !== undefined ? { workers: args.workers } : {}), ...(args.maxIterations !== undefined ? { maxIterations: args.maxIterations } : {}) });
}
