// Operator prompts as genes, through the CLI against a loopback LLM whose answers improve when the prompt
// carries a certain instruction: evolving prompts beats the fixed ones there; refused variants (a dropped
// placeholder, a cut-off answer) are stored and retired; 1 and 2 workers, a SIGKILL and resume, a fork and a
// --replay all give the same archive and the same prompt variants.
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rowsOf, archiveOf, committedIterations, logOf, root, runCli, startCli, tempDir, untilCommitted } from '../helpers/cli.js';
import { startOpenAiLoopback } from '../helpers/openai-loopback-server.js';
import { MAGIC, promptSensitiveAnswer } from '../helpers/prompt-sensitive-llm.js';

const ITERATIONS = 90;

function config(dir: string, name: string, evolve: boolean): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({
    problem: join(root, 'tests/fixtures/problems/dial'), seed: 5, pipelineDepth: 3, budget: { iterations: ITERATIONS },
    operators: [{ type: 'llm-diff', name: 'diff', weight: 1 }],
    llm: { models: [{ name: 'loopback' }], retries: 0, ...(evolve ? { promptEvolution: { interval: 8, population: 3 } } : {}) },
    selection: { strategy: 'tournament', size: 3 },
  }));
  return file;
}

const read = rowsOf;
const best = (db: string) => read<{ f: number }>(db, 'SELECT max(fitness) AS f FROM archive_cells')[0]!.f;
const variants = (db: string) => read<{ idx: number; created_by: number; parent: number | null; status: string; template: string; note: string | null }>(db, 'SELECT idx, created_by, parent, status, template, note FROM prompt_variants ORDER BY idx');
const choices = (db: string) => read<{ iteration: number; idx: number }>(db, 'SELECT iteration, idx FROM prompt_choices ORDER BY iteration');

test('evolving prompts beats the fixed prompt where an instruction helps; refused variants are stored and never used after their commit', async (t) => {
  const server = await startOpenAiLoopback((_i, body) => promptSensitiveAnswer(body));
  t.teardown(() => server.close());
  const dir = tempDir();
  const fixed = join(dir, 'fixed.sqlite');
  const evolved = join(dir, 'evolved.sqlite');
  for (const [db, evolve] of [[fixed, false], [evolved, true]] as const) {
    const r = await runCli(['run', config(dir, evolve ? 'evolved' : 'fixed', evolve), '--db', db, '--quiet', '--base-url', server.baseURL, '--workers', '2']);
    t.is(r.code, 0, r.stderr);
  }
  t.log(`best fitness after ${ITERATIONS} iterations: evolved prompts ${best(evolved)}, fixed prompt ${best(fixed)}`);
  t.true(best(evolved) > best(fixed) + 20, `evolved ${best(evolved)} vs fixed ${best(fixed)}`);
  t.deepEqual(variants(fixed), []);
  const v = variants(evolved);
  // Bred at the launches of iterations 8 + 3, 16 + 3, ...: every interval iterations after the basis.
  t.deepEqual(v.map((r) => r.created_by), [0, ...Array.from({ length: v.length - 1 }, (_, k) => 8 * (k + 1) + 3)]);
  t.is(v.length - 1, Math.floor((ITERATIONS - 1 - 3) / 8));
  const good = v.filter((r) => r.idx > 0 && r.status === 'ok');
  const refused = v.filter((r) => r.status === 'invalid');
  t.true(good.some((r) => r.template.includes(MAGIC)), JSON.stringify(v.map((r) => [r.idx, r.status, r.note])));
  t.true(refused.length >= 1, 'one answer in five drops {{files}} and one in seven is cut off');
  for (const r of refused) t.regex(r.note!, /refused: (template: must keep \{\{files\}\}|the answer was cut off at the token limit)/);
  // A refused variant is its parent's text, and no iteration launched after its commit chooses it.
  for (const r of refused) {
    t.is(r.template, v[r.parent!]!.template);
    const late = choices(evolved).filter((c) => c.idx === r.idx && c.iteration > r.created_by + 3);
    t.deepEqual(late, [], `variant ${r.idx} chosen after its retirement`);
  }
  // The bred prompt with the instruction is chosen more than the original once it exists.
  const magic = good.find((r) => r.template.includes(MAGIC))!;
  const after = choices(evolved).filter((c) => c.iteration > magic.created_by + 3);
  t.true(after.filter((c) => c.idx === magic.idx).length > after.filter((c) => c.idx === 0).length, JSON.stringify(after));
  // The meta-operator's calls are in the ledger, as purpose evolve-prompt, tallied to the iteration that bred.
  const calls = read<{ iteration: number }>(evolved, "SELECT iteration FROM llm_calls WHERE purpose = 'evolve-prompt' AND final = 1 ORDER BY iteration");
  t.deepEqual(calls.map((c) => c.iteration), v.filter((r) => r.idx > 0).map((r) => r.created_by));
  const status = JSON.parse((await runCli(['status', evolved, '--json'])).stdout) as { prompts: Array<{ operator: string; variants: Array<{ label: string; uses: number; meanReward: number | null; status: string }> }> };
  t.is(status.prompts[0]!.operator, 'diff');
  t.deepEqual(status.prompts[0]!.variants.map((x) => x.label), v.map((r) => `diff#${r.idx}`));
  t.is(status.prompts[0]!.variants.reduce((n, x) => n + x.uses, 0), choices(evolved).length);
  const text = await runCli(['status', evolved]);
  t.regex(text.stdout, /prompt variants of diff:/);
});

test('with evolving prompts, 1 and 2 workers, SIGKILL + resume, fork and --replay give the same archive and prompts', async (t) => {
  const server = await startOpenAiLoopback((_i, body) => promptSensitiveAnswer(body));
  t.teardown(() => server.close());
  const dir = tempDir();
  const file = config(dir, 'evolve', true);
  const one = join(dir, 'one.sqlite');
  const two = join(dir, 'two.sqlite');
  const killed = join(dir, 'killed.sqlite');
  t.is((await runCli(['run', file, '--db', one, '--quiet', '--base-url', server.baseURL, '--workers', '1'])).code, 0);
  t.is((await runCli(['run', file, '--db', two, '--quiet', '--base-url', server.baseURL, '--workers', '2'])).code, 0);
  t.deepEqual(archiveOf(two), archiveOf(one));
  t.deepEqual(logOf(two), logOf(one));
  t.deepEqual(variants(two), variants(one));
  t.deepEqual(choices(two), choices(one));
  const run = startCli(['run', file, '--db', killed, '--quiet', '--base-url', server.baseURL, '--workers', '2']);
  await untilCommitted(killed, 37, run.done);
  run.child.kill('SIGKILL');
  await run.done;
  t.true(committedIterations(killed) < ITERATIONS);
  const resumed = await runCli(['resume', killed, '--quiet', '--base-url', server.baseURL]);
  t.is(resumed.code, 0, resumed.stderr);
  t.deepEqual(archiveOf(killed), archiveOf(one));
  t.deepEqual(logOf(killed), logOf(one));
  t.deepEqual(variants(killed), variants(one));
  t.deepEqual(choices(killed), choices(one));
  const fork = join(dir, 'fork.sqlite');
  const forked = await runCli(['fork', one, '--at', '40', '--db', fork, '--quiet'], { OPENAI_BASE_URL: server.baseURL });
  t.is(forked.code, 0, forked.stderr);
  t.deepEqual(archiveOf(fork), archiveOf(one));
  t.deepEqual(variants(fork), variants(one));
  const replay = await runCli(['run', '--replay', one, '--db', join(dir, 'replay.sqlite'), '--quiet']);
  t.is(replay.code, 0, replay.stderr);
  t.regex(replay.stdout, /replay: the archive is identical/);
  t.deepEqual(variants(join(dir, 'replay.sqlite')), variants(one));
});
