// Table-driven test over a corpus of answers written the way GPT, Claude, Qwen/DeepSeek and Llama models write them: each is applied exactly as expected or rejected with the expected reason.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { contentId } from '../../../common/content-id.js';
import { rngFor } from '../../../common/rng.js';
import type { VariantFiles } from '../../../common/types.js';
import { loadTemplates } from '../../../engine/llm/llm-setup.js';
import type { LlmResult } from '../../../operators/llm/llm-client.js';
import { LlmOperator } from '../../../operators/llm/llm-operator.js';
import type { LlmService } from '../../../operators/llm/llm-service.js';
import type { OperatorContext } from '../../../operators/operator.js';
import { root } from '../../helpers/cli.js';

interface Case {
  answer: string;
  variant: string;
  mode: 'diff' | 'rewrite';
  finishReason?: string;
  refusal?: string;
  /** Applied: each [path, from, to] replaces the one occurrence of `from` in the variant's file. Rejected: substrings of the reason. */
  expect: { edits: Array<[string, string, string]> } | { reason: string[] };
}

const corpus = join(root, 'tests/fixtures/llm-answers');
const cases = JSON.parse(readFileSync(join(corpus, 'cases.json'), 'utf8')) as Case[];
const templates = loadTemplates(undefined, 'x');

function variantFiles(name: string): VariantFiles {
  const dir = join(corpus, 'variants', name);
  return Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

function expectedFiles(files: VariantFiles, edits: Array<[string, string, string]>): VariantFiles {
  const out = { ...files };
  for (const [path, from, to] of edits) {
    const text = out[path]!;
    if (text.split(from).length !== 2) throw new Error(`fixture error: ${JSON.stringify(from)} does not occur exactly once in ${path}`);
    out[path] = text.replace(from, () => to);
  }
  return out;
}

async function propose(c: Case, files: VariantFiles) {
  const text = readFileSync(join(corpus, 'answers', `${c.answer}.md`), 'utf8');
  const answer: LlmResult = {
    ok: true, text, model: 'm', finishReason: c.finishReason ?? 'stop', refusal: c.refusal ?? null, tokensIn: 1, tokensOut: 1, latencyMs: 1, attempts: 1,
  };
  const service: LlmService = { complete: async () => answer };
  const operator = new LlmOperator({ name: `llm-${c.mode}`, mode: c.mode, service, templates, repair: false });
  const parent = { id: contentId(files), files, lineage: { parentIds: [], operator: 'seed', iteration: 0, island: 0 } };
  const context: OperatorContext = {
    parents: [parent], rng: rngFor(1, 1, 'operator'), iteration: 1, params: null, signal: new AbortController().signal,
    arm: { model: 'm', temperature: 0.7 },
    context: { task: 't', descriptors: 'd', parents: [{ id: parent.id, files, evaluation: 'e', artifacts: '', lineage: [] }], elites: [] },
  };
  return operator.propose(context);
}

test('the corpus covers every style and both outcomes', (t) => {
  const answers = readdirSync(join(corpus, 'answers')).map((f) => f.replace(/\.md$/, '')).sort();
  t.deepEqual([...new Set(cases.map((c) => c.answer))].sort(), answers, 'every answer file has exactly one case');
  for (const style of ['gpt', 'claude', 'qwen', 'deepseek', 'llama']) t.true(answers.some((a) => a.startsWith(style)), style);
  t.true(cases.filter((c) => 'edits' in c.expect).length >= 20);
  t.true(cases.filter((c) => 'reason' in c.expect).length >= 20);
});

for (const c of cases) {
  const outcome = 'edits' in c.expect ? 'is applied as intended' : 'is rejected with its reason';
  test(`answer ${c.answer} (${c.mode}${c.finishReason ? `, finish_reason ${c.finishReason}` : ''}) ${outcome}`, async (t) => {
    const files = variantFiles(c.variant);
    const result = await propose(c, files);
    if ('edits' in c.expect) {
      if (!result.ok) return t.fail(`rejected: ${result.reason}`);
      t.deepEqual(result.children.map((child) => child.files), [expectedFiles(files, c.expect.edits)]);
    } else {
      if (result.ok) return t.fail(`applied: ${JSON.stringify(result.children[0]!.files)}`);
      for (const part of c.expect.reason) t.true(result.reason.includes(part), `expected ${JSON.stringify(part)} in:\n${result.reason}`);
    }
  });
}
