// `ouroboros tune`: a search over run configs (an ordinary run one level up), then the held-out comparison.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { StorageError } from '../../common/errors.js';
import { defaultDbPath } from '../../engine/runs/run.js';
import { clearScratch, loadTuneConfig, prepareTune, tuneDir } from '../../engine/tune/tune-setup.js';
import { formatValidation, validateTune } from '../../engine/tune/tune-validate.js';
import { EXIT } from '../report-error.js';
import { searchCommand } from './search-command.js';

export interface TuneArgs {
  config?: string | undefined;
  db?: string | undefined;
  workers?: number | undefined;
  maxTrials?: number | undefined;
  resume: boolean;
  overwrite: boolean;
  /** A tune run database to validate (again), without searching. */
  validate?: string | undefined;
  quiet: boolean;
}

export async function tuneCommand(args: TuneArgs): Promise<number> {
  const workers = args.workers ?? availableParallelism();
  const say = (line: string) => process.stdout.write(line + '\n');
  if (args.validate !== undefined) {
    if (!existsSync(args.validate)) throw new StorageError(`${args.validate}: no such run database`);
    try {
      say(formatValidation(await validateTune(resolve(args.validate), workers, say)));
    } finally {
      clearScratch(resolve(args.validate));
    }
    return EXIT.ok;
  }
  const loaded = loadTuneConfig(args.config!);
  const db = resolve(args.db ?? defaultDbPath(loaded.path));
  // Whatever happens, what this process's ended workers (or dead processes') left in the scratch folder goes at
  // the end; a live process's folders stay (clearScratch).
  try {
    let code: number;
    if (args.resume) {
      if (!existsSync(db)) throw new StorageError(`${db}: no such tune run to resume (start it without --resume)`);
      if (!existsSync(tuneDir(db))) throw new StorageError(`${db}: its tune folder ${tuneDir(db)} is missing`);
      code = await searchCommand('resume', { db, workers, maxIterations: args.maxTrials, quiet: args.quiet });
    } else {
      if (existsSync(db) && !args.overwrite) throw new StorageError(`${db} already exists; continue it with \`ouroboros tune ${args.config} --resume\`, replace it with --overwrite, or choose another --db`);
      const outer = await prepareTune(loaded, db, workers, say);
      say(`tune run: ${loaded.train.length} training problem(s) x ${loaded.config.seeds} seed(s) per trial, ${Object.keys(loaded.config.space).length} setting(s), metric ${loaded.config.metric}; a trial's score is its mean ratio to the base config (1 = as good)`);
      code = await searchCommand('run', { config: outer, db, workers, maxIterations: args.maxTrials, quiet: args.quiet, overwrite: args.overwrite });
    }
    if (code !== EXIT.ok) return code;
    say(formatValidation(await validateTune(db, workers, say)));
  } finally {
    clearScratch(db);
  }
  return EXIT.ok;
}
