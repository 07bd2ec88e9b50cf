#!/usr/bin/env node
// The `ouroboros` command: argv in, text and an exit code out. The only module that uses yargs.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EXIT, reportError } from './report-error.js';
// Each command's module is loaded when it runs, so `status` or `--help` does not load the search, the sandboxes,
// the LLM client and the queue first.

const argv = hideBin(process.argv);
const debug = argv.includes('--debug');

async function main(): Promise<number> {
  let code = EXIT.ok as number;
  const positiveInt = (name: string) => (v: unknown) => {
    if (v === undefined) return v;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer (got ${String(v)})`);
    return v;
  };
  await yargs(argv)
    .scriptName('ouroboros')
    .usage('$0 <command> [options]\n\nA resumable, deterministic MAP-Elites search over variants of an AI stack.')
    .command('run [config]', 'start a search from a run config (JSON); Ctrl-C stops it safely', (y) => y
      .positional('config', { type: 'string', describe: 'run config file, e.g. configs/quickstart.json (omit it with --replay)' })
      .option('base-url', { type: 'string', describe: 'OpenAI-compatible LLM endpoint, e.g. http://127.0.0.1:11434/v1 (wins over the config\'s llm.baseUrl and OPENAI_BASE_URL); the API key is read from the variable the config\'s llm.apiKeyEnv names (OPENAI_API_KEY by default), never from the command line' })
      .option('replay', { type: 'string', describe: 're-run a finished run from its stored LLM answers only (no endpoint) into a new database, and check that the archive comes out identical' })
      .option('db', { type: 'string', describe: 'run database to create (default: the config\'s "db", else runs/<config name>.sqlite)' })
      .option('seed', { type: 'number', describe: 'run seed, an integer from 0 to 4294967295 (overrides the config); the same config and seed give the same archive', coerce: (v: unknown) => {
        if (v === undefined) return v;
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 2 ** 32 - 1) throw new Error(`--seed must be an integer from 0 to 4294967295 (got ${String(v)})`);
        return v;
      } })
      .option('workers', { type: 'number', describe: 'evaluation worker threads (default: the config, else one per core); does not change the result', coerce: positiveInt('workers') })
      .option('max-iterations', { type: 'number', describe: 'iteration budget (overrides the config)', coerce: positiveInt('max-iterations') })
      .option('overwrite', { type: 'boolean', default: false, describe: 'replace an existing run database at that path (refused while another process is writing it)' })
      .option('queue', { type: 'string', describe: 'send evaluations to `ouroboros worker` processes through BullMQ on this Redis (redis://[:password@]host:port[/db] or rediss:// for TLS; the password is never stored or printed; wins over evaluation.queue); the archive is the same as a local run\'s' })
      .option('queue-name', { type: 'string', describe: 'queue name shared with the workers (default: evaluation.queue.name, else "ouroboros")' })
      .option('local-workers', { type: 'number', describe: 'with --queue, also evaluate on this many local worker threads (default 0: every evaluation goes to the queue)', coerce: (v: unknown) => { const n = Number(v); if (!Number.isInteger(n) || n < 0) throw new Error(`--local-workers must be an integer >= 0 (got ${String(v)})`); return n; } })
      .option('quiet', { type: 'boolean', default: false, describe: 'no live progress, only the summary' })
      .example('$0 run configs/quickstart.json', 'the quickstart search, about a minute on 2 cores')
      .example('$0 run examples/circle-packing/config.json --base-url http://127.0.0.1:8765/v1', 'an LLM search against a local endpoint')
      .example('$0 run --replay runs/circle-packing.sqlite', 'reproduce that run from its stored answers')
      // A check returns its message (yargs reports it as a usage error, exit 2); a throw would be an internal error.
      .check((a) => {
        if (a.replay === undefined && a.config === undefined) return 'name a run config (or --replay <run database>)';
        if (a.replay !== undefined && a.config !== undefined) return '--replay takes the config from the run it replays: give no config file';
        if (a.replay !== undefined && (a.seed !== undefined || a.maxIterations !== undefined || a['base-url'] !== undefined)) return '--replay repeats the source run as it was: --seed, --max-iterations and --base-url do not apply';
        return true;
      }),
    async (a) => {
      code = a.replay !== undefined
        ? await (await import('./commands/search-command.js')).searchCommand('replay', { replay: a.replay, db: a.db, workers: a.workers, quiet: a.quiet, overwrite: a.overwrite })
        : await (await import('./commands/search-command.js')).searchCommand('run', { config: a.config, db: a.db, seed: a.seed, workers: a.workers, maxIterations: a.maxIterations, quiet: a.quiet, overwrite: a.overwrite, baseUrl: a.baseUrl, queue: a.queue, queueName: a.queueName, localWorkers: a.localWorkers });
    })
    .command('resume <db>', 'continue a stopped or finished run exactly where it left off', (y) => y
      .positional('db', { type: 'string', demandOption: true, describe: 'run database' })
      .option('max-iterations', { type: 'number', describe: 'the run\'s total iteration budget (not an addition): raise it to search further', coerce: positiveInt('max-iterations') })
      .option('workers', { type: 'number', describe: 'evaluation worker threads; does not change the result', coerce: positiveInt('workers') })
      .option('steal-lock', { type: 'boolean', default: false, describe: 'take over a lock held by a process on another host (only once you know that process is gone)' })
      .option('base-url', { type: 'string', describe: 'LLM endpoint for this session (default: the config\'s llm.baseUrl, else OPENAI_BASE_URL, else the one the run last used); answers already stored are reused, not asked again' })
      .option('queue', { type: 'string', describe: 'send evaluations to `ouroboros worker` processes through BullMQ on this Redis (redis://[:password@]host:port[/db] or rediss:// for TLS; the password is never stored or printed; wins over evaluation.queue); the archive is the same as a local run\'s' })
      .option('queue-name', { type: 'string', describe: 'queue name shared with the workers (default: evaluation.queue.name, else "ouroboros")' })
      .option('local-workers', { type: 'number', describe: 'with --queue, also evaluate on this many local worker threads (default 0: every evaluation goes to the queue)', coerce: (v: unknown) => { const n = Number(v); if (!Number.isInteger(n) || n < 0) throw new Error(`--local-workers must be an integer >= 0 (got ${String(v)})`); return n; } })
      .option('quiet', { type: 'boolean', default: false, describe: 'no live progress, only the summary' }),
    async (a) => { code = await (await import('./commands/search-command.js')).searchCommand('resume', { db: a.db, workers: a.workers, maxIterations: a.maxIterations, quiet: a.quiet, stealLock: a.stealLock, baseUrl: a.baseUrl, queue: a.queue, queueName: a.queueName, localWorkers: a.localWorkers }); })
    .command('worker <redis-url>', 'take evaluation jobs of queued runs (run --queue) from BullMQ on Redis and evaluate them here, with the limits and sandbox a local run has; Ctrl-C finishes the jobs in hand and stops', (y) => y
      .positional('redis-url', { type: 'string', demandOption: true, describe: 'redis://[:password@]host:port[/db], or rediss:// for TLS (the password may also come from OUROBOROS_REDIS_PASSWORD)' })
      .option('concurrency', { type: 'number', describe: 'evaluations at once, each on its own worker thread (default: one per core)', coerce: positiveInt('concurrency') })
      .option('queue', { type: 'string', default: 'ouroboros', describe: 'queue name, the same as the coordinator\'s --queue-name' })
      .option('cache', { type: 'string', describe: 'folder where problem folders are unpacked, one per content hash (default: $XDG_CACHE_HOME or ~/.cache, then ouroboros/problems)' })
      .option('lock-ms', { type: 'number', default: 10000, describe: 'how long a job stays claimed without a sign of life: a worker that dies mid-job (SIGKILL, machine gone) has its job taken again by another after about this', coerce: positiveInt('lock-ms') })
      .option('quiet', { type: 'boolean', default: false, describe: 'no line per job' })
      .example('$0 worker redis://:secret@10.0.0.5:6379 --concurrency 8', 'a worker on a second machine'),
    async (a) => { code = await (await import('./commands/worker-command.js')).workerCommand({ url: a.redisUrl, concurrency: a.concurrency, queue: a.queue, cache: a.cache, quiet: a.quiet, lockMs: a.lockMs }); })
    .command('fork <source>', 'start a new run from another run\'s state at an iteration (its archive rebuilt from the log), with the same or a changed config; the source is untouched', (y) => y
      .positional('source', { type: 'string', demandOption: true, describe: 'the run database to fork' })
      .option('at', { type: 'number', demandOption: true, describe: 'keep the source\'s iterations 0 to N-1; the fork continues with iteration N', coerce: positiveInt('at') })
      .option('db', { type: 'string', demandOption: true, describe: 'the new run database' })
      .option('config', { type: 'string', describe: 'run config for the fork: tunable settings (operators, weights, budgets, selection, islands\' migration) and the archive may change, and the change is recorded; a new archive or descriptor ranges re-bin every stored variant' })
      .option('max-iterations', { type: 'number', describe: 'the fork\'s total iteration budget (default: its config\'s)', coerce: positiveInt('max-iterations') })
      .option('workers', { type: 'number', describe: 'evaluation worker threads; does not change the result', coerce: positiveInt('workers') })
      .option('overwrite', { type: 'boolean', default: false, describe: 'replace an existing database at --db' })
      .option('create-only', { type: 'boolean', default: false, describe: 'write the fork and stop; `ouroboros resume` continues it' })
      .option('quiet', { type: 'boolean', default: false, describe: 'no live progress, only the summary' })
      .example('$0 fork runs/quickstart.sqlite --at 200 --config configs/tuned.json --db runs/tuned.sqlite', 'rewind to iteration 200 and go on with other settings'),
    async (a) => {
      code = await (await import('./commands/fork-command.js')).forkCommand({ source: a.source, at: a.at!, db: a.db, config: a.config, overwrite: a.overwrite, createOnly: a.createOnly, maxIterations: a.maxIterations, workers: a.workers, quiet: a.quiet });
    })
    .command('status <db>', 'iterations, evaluations, archive statistics, best variant and operators of a run', (y) => y
      .positional('db', { type: 'string', demandOption: true })
      .option('json', { type: 'boolean', default: false, describe: 'machine-readable output' }),
    async (a) => { code = (await import('./commands/status-command.js')).statusCommand(a.db, a.json); })
    .command('export <db>', 'write the elites, one row per elite', (y) => y
      .positional('db', { type: 'string', demandOption: true })
      .option('format', { choices: ['jsonl', 'csv'] as const, default: 'jsonl' as const, describe: 'output format' })
      .option('out', { type: 'string', describe: 'output file (default: standard output)' })
      .option('files', { type: 'string', describe: 'also write each elite\'s files into its own folder under this directory' }),
    async (a) => { code = (await import('./commands/export-command.js')).exportCommand(a.db, a.format, a.out, a.files); })
    .command('report <db>', 'write one self-contained HTML file of a run: archive heatmap, curves over iterations, operators and arms, evaluation outcomes, lineage of the best with diffs, LLM tokens and cost', (y) => y
      .positional('db', { type: 'string', demandOption: true })
      .option('out', { type: 'string', describe: 'output file (default: <db>.report.html beside the database)' })
      .example('$0 report runs/quickstart.sqlite', 'writes runs/quickstart.report.html; it opens offline'),
    async (a) => { code = (await import('./commands/report-command.js')).reportCommand(a.db, a.out); })
    .command('serve <db>', 'serve the report live while a search writes the database (read-only; refreshes as iterations commit)', (y) => y
      .positional('db', { type: 'string', demandOption: true })
      .option('port', { type: 'number', default: 8321, describe: 'TCP port (0: any free port, printed)', coerce: (v: unknown) => {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535) throw new Error(`--port must be an integer from 0 to 65535 (got ${String(v)})`);
        return v;
      } })
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'address to listen on; the default keeps the dashboard on this machine' })
      .option('interval', { type: 'number', default: 1000, describe: 'milliseconds between the page\'s refreshes', coerce: positiveInt('interval') }),
    async (a) => { code = await (await import('./commands/serve-command.js')).serveCommand({ db: a.db, port: a.port, host: a.host, intervalMs: a.interval! }); })
    .command('show <db> <variant>', 'a variant\'s files, evaluation and lineage (a unique prefix of its id is enough)', (y) => y
      .positional('db', { type: 'string', demandOption: true })
      .positional('variant', { type: 'string', demandOption: true })
      .option('json', { type: 'boolean', default: false }),
    async (a) => { code = (await import('./commands/show-command.js')).showCommand(a.db, a.variant, a.json); })
    .command('schema [kind]', 'print the JSON Schema of run configs (or of problem.json, or of tune configs), generated from the engine\'s own schema, so editors complete and check configs', (y) => y
      .positional('kind', { choices: ['run-config', 'problem', 'tune'] as const, default: 'run-config' as const, describe: 'which file the schema describes' })
      .option('out', { type: 'string', describe: 'write it to this file instead of standard output' })
      .example('$0 schema > run-config.schema.json', 'then put "$schema": "./run-config.schema.json" at the top of a config')
      .example('$0 schema problem --out problem.schema.json', 'the same for problem manifests'),
    async (a) => { code = (await import('./commands/schema-command.js')).schemaCommand(a.kind, a.out); })
    .command('tune [config]', 'tune a run config\'s settings: a search whose variants are run configs, each scored by inner searches on training problems against the base config, then re-run on held-out problems with fresh seeds', (y) => y
      .positional('config', { type: 'string', describe: 'tune config (JSON): base run config, training and held-out problems, seeds, inner budget, metric and search space (docs/tuning.md)' })
      .option('db', { type: 'string', describe: 'the tune run database (default: runs/<tune config name>.sqlite); its problem folder goes in <db>.tune/' })
      .option('workers', { type: 'number', describe: 'trials at once, each running its inner searches on one worker (default: one per core); does not change the result', coerce: positiveInt('workers') })
      .option('max-trials', { type: 'number', describe: 'trials (iterations) of the tune run in all (overrides the config\'s "trials"); raise it with --resume to go on', coerce: positiveInt('max-trials') })
      .option('resume', { type: 'boolean', default: false, describe: 'continue the tune run at --db (or the default path) from its last trial' })
      .option('overwrite', { type: 'boolean', default: false, describe: 'replace an existing tune run at that path' })
      .option('validate', { type: 'string', describe: 're-run the held-out comparison of this tune run database only (no search)' })
      .option('quiet', { type: 'boolean', default: false, describe: 'no live progress, only the summary' })
      .example('$0 tune examples/suite/tune.json', 'tune the parameter operators on sphere and arm, validate on Rastrigin and the quickstart')
      .example('$0 tune --validate runs/tune.sqlite', 'repeat the held-out comparison and rewrite runs/tune.tuned.json')
      .check((a) => {
        if (a.validate === undefined && a.config === undefined) return 'name a tune config (or --validate <tune run database>)';
        if (a.validate !== undefined && (a.config !== undefined || a.resume || a.overwrite || a.maxTrials !== undefined)) return '--validate only reads a tune run: give no tune config, --resume, --overwrite or --max-trials';
        if (a.resume && a.overwrite) return '--resume continues a tune run and --overwrite replaces it: choose one';
        return true;
      }),
    async (a) => { code = await (await import('./commands/tune-command.js')).tuneCommand({ config: a.config, db: a.db, workers: a.workers, maxTrials: a.maxTrials, resume: a.resume, overwrite: a.overwrite, validate: a.validate, quiet: a.quiet }); })
    .option('debug', { type: 'boolean', default: false, describe: 'print stack traces with errors' })
    .epilogue('Exit codes: 0 done, 2 bad input, 3 storage (missing or locked database), 4 evaluator, 5 LLM endpoint failing (resume later) or replay diverged, 130 interrupted, 1 internal error.\n' +
      'A run is one SQLite file; the same config and seed give the same archive. Every command and flag: docs/commands.md; config fields: docs/configuration.md.')
    .demandCommand(1, 'name a command: run, resume, worker, fork, tune, status, report, serve, export, show or schema')
    .strict()
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((message, error) => {
      // yargs reports its own usage errors (and our coerce checks) as YError, and a check's returned
      // message as a string; anything else was thrown by a command and is ours.
      if (error instanceof Error && error.name !== 'YError') throw error;
      process.stderr.write(`error: ${message ?? error?.message}\nrun \`ouroboros --help\` for usage\n`);
      process.exit(EXIT.badInput);
    })
    .parseAsync();
  return code;
}

// A closed pipe (`ouroboros status db | head`) ends the output, not the program with a crash.
process.stdout.on('error', (error: NodeJS.ErrnoException) => { if (error.code !== 'EPIPE') throw error; });

main().then(
  (code) => { process.exitCode = code; },
  (error) => { process.exitCode = reportError(error, debug); },
);
