// Failed children teach: an LLM search through the CLI whose answers sometimes break the circle packing shows those failures, with the evaluator's reason, in later prompts, deterministically.
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rowsOf, archiveOf, logOf, root, runCli, tempDir } from '../helpers/cli.js';
import { startOpenAiLoopback, type Behaviour } from '../helpers/openai-loopback-server.js';

type Body = { seed?: number; messages: Array<{ role: string; content: string }> };

const depth = 4;

function lastUser(body: Body): string {
  return [...body.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
}

/** The parent's program.js line that starts with `start`, read from the prompt's first file (the parent's). */
function parentLine(body: Body, start: string): string {
  const user = body.messages.find((m) => m.role === 'user' && m.content.includes('<file path="program.js">'))!.content;
  const file = user.slice(user.indexOf('<file path="program.js">'));
  return file.split('\n').find((l) => l.startsWith(start))!;
}

/**
 * A function of the request alone (its seed and its parent), so that every run asks and gets the same: one
 * answer in four makes Math.hypot lie, so that feasibleRadii lets circles overlap and the evaluator throws
 * "invalid packing: circles i and j overlap"; the others move the side margins.
 */
function answer(body: Body): Behaviour {
  const seed = body.seed ?? 0;
  const diff = (line: string, replacement: string) => `<<<<<<< SEARCH program.js\n${line}\n=======\n${replacement}\n>>>>>>> REPLACE\n`;
  if (seed % 4 === 0) {
    const line = parentLine(body, 'const TARGET_RADIUS');
    return { answer: `Trust the layout: skip the overlap checks.\n${diff(line, `${line}\nMath.hypot = () => 2;`)}` };
  }
  const margin = (0.08 + (seed % 40) / 1000).toFixed(3);
  return { answer: `Side margins ${margin}.\n${diff(parentLine(body, 'const MARGIN_X'), `const MARGIN_X = ${margin};`)}` };
}

/** The prompt's recent attempts section. */
function attemptsOf(prompt: string): string {
  const start = prompt.indexOf('## Recent attempts');
  return start < 0 ? '' : prompt.slice(start, prompt.indexOf('## Other strong variants', start));
}

const read = rowsOf;

test('an overlapping packing\'s error reaches a later prompt; 1 and 2 workers, and a run stopped and resumed, send the same prompts and reach the same archive', async (t) => {
  const server = await startOpenAiLoopback((_index, body: Body) => answer(body));
  t.teardown(() => server.close());
  const dir = tempDir();
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({
    problem: join(root, 'examples/circle-packing'), seed: 11, pipelineDepth: depth, budget: { iterations: 28 },
    llm: { models: [{ name: 'scripted' }], temperatures: [0.7], context: { attempts: 4 } },
    operators: [{ type: 'llm-diff', weight: 1 }],
    islands: { count: 2, migrationInterval: 10 },
  }));
  const [one, two, halves] = ['one', 'two', 'halves'].map((name) => join(dir, `${name}.sqlite`));
  const results = await Promise.all([
    runCli(['run', config, '--db', one, '--quiet', '--workers', '1', '--base-url', server.baseURL]),
    runCli(['run', config, '--db', two, '--quiet', '--workers', '2', '--base-url', server.baseURL]),
    runCli(['run', config, '--db', halves, '--quiet', '--max-iterations', '13', '--base-url', server.baseURL]),
  ]);
  for (const r of results) t.is(r.code, 0, r.stderr);
  // The resume launches iterations 14.. while replaying a log that already holds the iterations after their basis.
  const resumed = await runCli(['resume', halves, '--quiet', '--max-iterations', '28', '--base-url', server.baseURL]);
  t.is(resumed.code, 0, resumed.stderr);

  const failures = read<{ iteration: number; message: string }>(one, "SELECT iteration, message FROM evaluations WHERE status = 'failed' ORDER BY iteration");
  t.true(failures.some((f) => /^Error: invalid packing: circles \d+ and \d+ overlap/.test(f.message)), JSON.stringify(failures));
  // A prompt shows the failure, from its parent, with the evaluator's words and the note of what was tried.
  const entry = /- iteration (\d+), llm-diff, from this variant: its evaluation failed \(threw\)\.\n {2}Change: scripted t=0\.7, program\.js: Trust the layout: skip the overlap checks\.\n {4}Error: invalid packing: circles \d+ and \d+ overlap by [\d.e-]+/g;
  const shown = server.requests.flatMap((q) => [...attemptsOf(lastUser(q.body as Body)).matchAll(entry)].map((m) => Number(m[1])));
  t.true(shown.length > 0, 'no prompt showed an overlap failure');
  for (const iteration of shown) t.true(failures.some((f) => f.iteration === iteration && /overlap/.test(f.message)), `iteration ${iteration} did not fail with an overlap`);

  // What each run asked (the ledger is keyed by the hash of each request's messages) and found.
  const keys = (db: string) => read<{ key: string }>(db, 'SELECT key FROM llm_calls ORDER BY key').map((r) => r.key);
  t.deepEqual(keys(two), keys(one));
  t.deepEqual(keys(halves), keys(one));
  t.deepEqual(logOf(two), logOf(one));
  t.deepEqual(logOf(halves), logOf(one));
  t.deepEqual(archiveOf(two), archiveOf(one));
  t.deepEqual(archiveOf(halves), archiveOf(one));
});
