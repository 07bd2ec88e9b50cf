// Tests of LlmOperator against a fake LlmService that records its calls: the prompts, the answers applied, the one repair, failures, seeds.
import test from 'ava';
import { contentId } from '../../../common/content-id.js';
import { rngFor } from '../../../common/rng.js';
import type { Variant, VariantFiles } from '../../../common/types.js';
import { loadTemplates } from '../../../engine/llm/llm-setup.js';
import { repairMessage } from '../../../operators/llm/edit-format.js';
import type { LlmResult } from '../../../operators/llm/llm-client.js';
import { LlmOperator, type LlmOperatorOptions } from '../../../operators/llm/llm-operator.js';
import type { LlmCall, LlmService } from '../../../operators/llm/llm-service.js';
import type { OperatorContext, OperatorResult, ParentContext, VariationContext } from '../../../operators/operator.js';

const templates = loadTemplates(undefined, 'x');
const arm = { model: 'loop-model', temperature: 0.8 };
const task = 'Make f return twice its input, as fast as possible.';
const descriptors = '- speed in [0, 1]: how fast\n- size in [0, 100]';

/** Answers calls from a queue and keeps every call it was given. */
class FakeService implements LlmService {
  readonly calls: LlmCall[] = [];
  constructor(private readonly results: Array<LlmResult | string>) {}
  async complete(call: LlmCall): Promise<LlmResult> {
    this.calls.push(call);
    const next = this.results.shift();
    if (next === undefined) throw new Error(`unexpected call number ${this.calls.length}`);
    return typeof next === 'string' ? { ok: true, text: next, model: call.model, finishReason: 'stop', refusal: null, tokensIn: 10, tokensOut: 10, latencyMs: 1, attempts: 1 } : next;
  }
}

function variant(files: VariantFiles, iteration = 4): Variant {
  return { id: contentId(files), files, lineage: { parentIds: [], operator: 'llm-diff', iteration, island: 0 } };
}

const parentA = variant({ 'main.py': 'def f(x):\n    return x + 1\n', 'util.py': 'K = 3\n' });
const parentB = variant({ 'main.py': 'def f(x):\n    return x * 2  # from B\n', 'util.py': 'K = 9\n' }, 5);

const shownA: ParentContext = {
  id: parentA.id, files: parentA.files, evaluation: 'Fitness 0.5; descriptors speed=0.25, size=40.', artifacts: 'stderr: slow loop',
  lineage: [
    { id: parentA.id, operator: 'llm-diff', iteration: 4, fitness: 0.123456789, note: 'unrolled the loop' },
    { id: 'seed0', operator: 'seed', iteration: 0, fitness: null, note: null },
  ],
};
const shownB: ParentContext = { id: parentB.id, files: parentB.files, evaluation: 'Its evaluation failed (threw).', artifacts: '', lineage: [] };

function variationContext(parents: ParentContext[] = [shownA], elites: VariationContext['elites'] = [{ id: 'e1', fitness: 0.87654321, descriptors: [0.312345, 12], files: { 'main.py': 'ELITE CODE\n' } }]): VariationContext {
  return { task, descriptors, parents, elites };
}

function ctx(overrides: Partial<OperatorContext> = {}): OperatorContext {
  return { parents: [parentA], rng: rngFor(11, 3, 'operator'), iteration: 3, params: null, signal: new AbortController().signal, arm, context: variationContext(), ...overrides };
}

function operator(service: LlmService, options: Partial<LlmOperatorOptions> = {}): LlmOperator {
  return new LlmOperator({ name: 'llm-diff', mode: 'diff', service, templates, repair: true, ...options });
}

function children(result: OperatorResult) {
  if (!result.ok) throw new Error(`expected a child, got: ${result.reason}`);
  return result.children;
}

const goodDiff = 'Return twice x.\n<<<<<<< SEARCH main.py\n    return x + 1\n=======\n    return 2 * x\n>>>>>>> REPLACE\n';
const expectedSeed = Math.floor(rngFor(11, 3, 'operator').next() * 2 ** 31);

test('diff mode sends the system template and a user message with the files, evaluation, lineage, elites and editable list', async (t) => {
  const service = new FakeService([goodDiff]);
  const context = ctx();
  await operator(service).propose(context);
  t.is(service.calls.length, 1);
  const sent = service.calls[0]!;
  t.like(sent, { model: 'loop-model', temperature: 0.8, iteration: 3, operator: 'llm-diff', purpose: 'propose', seed: expectedSeed });
  t.is(sent.signal, context.signal);
  t.is(sent.messages.length, 2);
  t.deepEqual(sent.messages[0], { role: 'system', content: templates.system.replace('{{task}}', task) });
  const user = sent.messages[1]!;
  t.is(user.role, 'user');
  t.is(user.content, templates.diff
    .replace('{{evaluation}}', 'Fitness 0.5; descriptors speed=0.25, size=40.\nArtifacts:\nstderr: slow loop')
    .replace('{{files}}', '<file path="main.py">\ndef f(x):\n    return x + 1\n</file>\n<file path="util.py">\nK = 3\n</file>')
    .replace('{{lineage}}', '- iteration 4, llm-diff: fitness 0.123457 (unrolled the loop)\n- iteration 0, seed: failed')
    .replace('{{elites}}', '### Elite 1: fitness 0.876543, descriptors [0.312345, 12]\n<file path="main.py">\nELITE CODE\n</file>')
    .replace('{{attempts}}', '(none yet)')
    .replace('{{editable}}', 'main.py, util.py'));
  t.false(user.content.includes('{{'));
});

test('an arm of a model that sends no temperature (NaN) says t=default in the note, as its label does', async (t) => {
  const service = new FakeService([goodDiff]);
  const result = await operator(service).propose(ctx({ arm: { ...arm, temperature: Number.NaN } }));
  t.is(children(result)[0]!.note, 'loop-model t=default, main.py: Return twice x.');
});

test('a context without lineage (llm.context.lineage 0) and a run without other elites are said so in the prompt', async (t) => {
  const service = new FakeService([goodDiff]);
  await operator(service).propose(ctx({ context: variationContext([{ ...shownA, lineage: [], artifacts: '' }], []) }));
  const user = service.calls[0]!.messages[1]!.content;
  t.true(user.includes('## How it came about (nearest ancestor first)\n(not shown: llm.context.lineage is 0)\n'));
  t.true(user.includes('## Other strong variants, for ideas\n(none yet)\n'));
  t.true(user.includes('## The variant to improve\nFitness 0.5; descriptors speed=0.25, size=40.\n\n<file path="main.py">'), 'no Artifacts: heading without artifacts');
});

test('a diff answer that applies gives one child with the edited file and a note naming model, temperature and file', async (t) => {
  const service = new FakeService([goodDiff]);
  const result = await operator(service).propose(ctx());
  t.deepEqual(children(result), [{
    files: { 'main.py': 'def f(x):\n    return 2 * x\n', 'util.py': 'K = 3\n' },
    note: 'loop-model t=0.8, main.py: Return twice x.',
  }]);
  t.is(service.calls.length, 1);
});

test('a bad answer with repair on makes exactly one repair call that quotes the answer and the error', async (t) => {
  const bad = 'I would change the return.\n<<<<<<< SEARCH main.py\n    return x - 1\n=======\n    return 2 * x\n>>>>>>> REPLACE\n';
  const service = new FakeService([bad, 'Fixed the quote.\n<<<<<<< SEARCH main.py\n    return x + 1\n=======\n    return x + x\n>>>>>>> REPLACE\n']);
  const result = await operator(service).propose(ctx());
  t.is(service.calls.length, 2);
  const [first, repair] = service.calls as [LlmCall, LlmCall];
  t.like(repair, { purpose: 'repair', seed: first.seed + 1, model: first.model, temperature: first.temperature, iteration: 3, operator: 'llm-diff' });
  t.is(repair.messages.length, 4);
  t.deepEqual(repair.messages.slice(0, 2), first.messages);
  t.deepEqual(repair.messages[2], { role: 'assistant', content: bad });
  const followUp = repair.messages[3]!;
  t.is(followUp.role, 'user');
  t.regex(followUp.content, /^Your answer could not be applied/);
  t.true(followUp.content.includes('- block 1 (main.py): the SEARCH text was not found (its first line: `    return x - 1`)'), followUp.content);
  t.deepEqual(children(result), [{ files: { 'main.py': 'def f(x):\n    return x + x\n', 'util.py': 'K = 3\n' }, note: 'loop-model t=0.8, main.py: Fixed the quote.' }]);
});

test('the repair message is exactly repairMessage() of the first answer\'s errors', async (t) => {
  const service = new FakeService(['no edit at all', goodDiff]);
  await operator(service).propose(ctx());
  t.is(service.calls[1]!.messages[3]!.content, repairMessage(['no SEARCH/REPLACE block found; write each edit as <<<<<<< SEARCH path, the old lines, =======, the new lines, >>>>>>> REPLACE']));
});

test('a second bad answer fails with a reason saying it did not apply even after one repair', async (t) => {
  const service = new FakeService(['no edit at all', 'still no edit']);
  const result = await operator(service).propose(ctx());
  t.is(service.calls.length, 2);
  t.false(result.ok);
  t.is(!result.ok && result.reason, 'the answer did not apply, even after one repair: no SEARCH/REPLACE block found; write each edit as <<<<<<< SEARCH path, the old lines, =======, the new lines, >>>>>>> REPLACE');
});

test('with repair off a bad answer fails after one call', async (t) => {
  const service = new FakeService(['no edit at all']);
  const result = await operator(service, { repair: false }).propose(ctx());
  t.is(service.calls.length, 1);
  t.false(result.ok);
  t.regex(!result.ok ? result.reason : '', /^the answer did not apply: no SEARCH\/REPLACE block found/);
});

test('a failed call fails the proposal with the reason, status, message and attempts', async (t) => {
  const service = new FakeService([{ ok: false, reason: 'server-error', status: 500, message: 'x', attempts: 3 }]);
  const result = await operator(service).propose(ctx());
  t.deepEqual(result, { ok: false, reason: 'the LLM call failed: server-error 500: x (after 3 attempt(s))' });
  t.is(service.calls.length, 1);
});

test('a failure without a status is described without one', async (t) => {
  const service = new FakeService([{ ok: false, reason: 'timeout', message: 'no answer within 50 ms', attempts: 2 }]);
  t.deepEqual(await operator(service).propose(ctx()), { ok: false, reason: 'the LLM call failed: timeout: no answer within 50 ms (after 2 attempt(s))' });
});

test('a failed repair call fails the proposal naming both the first answer\'s errors and the failure', async (t) => {
  const service = new FakeService(['no edit at all', { ok: false, reason: 'rate-limited', status: 429, message: 'slow down', attempts: 5 }]);
  const result = await operator(service).propose(ctx());
  t.false(result.ok);
  const reason = !result.ok ? result.reason : '';
  t.regex(reason, /^the answer did not apply \(no SEARCH\/REPLACE block found;/);
  t.true(reason.endsWith('and the repair call failed: rate-limited 429: slow down (after 5 attempt(s))'), reason);
});

test('an error thrown by the service propagates (the run cannot go on)', async (t) => {
  const service: LlmService = { complete: async () => { throw new Error('endpoint gave up'); } };
  await t.throwsAsync(operator(service).propose(ctx()), { message: 'endpoint gave up' });
});

test('rewrite mode uses the rewrite template and applies a <file> answer', async (t) => {
  const service = new FakeService(['Raised K.\n<file path="util.py">\nK = 4\n</file>\n']);
  const result = await operator(service, { name: 'llm-rewrite', mode: 'rewrite' }).propose(ctx());
  const user = service.calls[0]!.messages[1]!.content;
  t.true(user.startsWith(templates.rewrite.slice(0, templates.rewrite.indexOf('{{'))));
  t.true(user.includes('rewriting one file completely'));
  t.false(user.includes('SEARCH/REPLACE'));
  t.true(user.includes('<file path="util.py">\nK = 3\n</file>'));
  t.is(service.calls[0]!.operator, 'llm-rewrite');
  t.deepEqual(children(result), [{ files: { 'main.py': parentA.files['main.py']!, 'util.py': 'K = 4\n' }, note: 'loop-model t=0.8, util.py: Raised K.' }]);
});

test('rewrite mode does not accept a diff answer', async (t) => {
  const service = new FakeService([goodDiff]);
  const result = await operator(service, { mode: 'rewrite', repair: false }).propose(ctx());
  t.regex(!result.ok ? result.reason : 'applied', /no <file path=\.\.\.> block found/);
});

test('crossover takes 2 parents by default or options.parents; the other modes take 1', (t) => {
  const service = new FakeService([]);
  t.is(operator(service, { mode: 'crossover' }).parentCount, 2);
  t.is(operator(service, { mode: 'crossover', parents: 3 }).parentCount, 3);
  t.is(operator(service, { mode: 'diff', parents: 3 }).parentCount, 1);
  t.is(operator(service, { mode: 'rewrite' }).parentCount, 1);
  t.true(operator(service).usesLlm);
  t.is(operator(service, { name: 'my-llm' }).name, 'my-llm');
});

test('crossover shows every parent with its evaluation and files, and its child starts from parent 1', async (t) => {
  const service = new FakeService(['Took K from both.\n<file path="util.py">\nK = 6\n</file>\n']);
  const context = ctx({ parents: [parentA, parentB], context: variationContext([shownA, shownB], []) });
  const result = await operator(service, { name: 'llm-crossover', mode: 'crossover' }).propose(context);
  const user = service.calls[0]!.messages[1]!.content;
  t.is(user, templates.crossover
    .replace('{{parents}}', [
      '### Parent 1\nFitness 0.5; descriptors speed=0.25, size=40.\nArtifacts:\nstderr: slow loop\n\n<file path="main.py">\ndef f(x):\n    return x + 1\n</file>\n<file path="util.py">\nK = 3\n</file>',
      '### Parent 2\nIts evaluation failed (threw).\n\n<file path="main.py">\ndef f(x):\n    return x * 2  # from B\n</file>\n<file path="util.py">\nK = 9\n</file>',
    ].join('\n\n'))
    .replace('{{attempts}}', '(none yet)')
    .replace('{{editable}}', 'main.py, util.py'));
  t.deepEqual(children(result), [{ files: { 'main.py': parentA.files['main.py']!, 'util.py': 'K = 6\n' }, note: 'loop-model t=0.8, util.py: Took K from both.' }]);
});

test('the files option restricts what may be edited: an edit to another file fails with the edit-format error', async (t) => {
  const service = new FakeService([goodDiff]);
  const result = await operator(service, { files: ['util.py'], repair: false }).propose(ctx());
  t.true(service.calls[0]!.messages[1]!.content.includes('Editable files: util.py\n'));
  t.deepEqual(result, { ok: false, reason: 'the answer did not apply: block 1 (main.py): file main.py may not be edited' });

  const allowed = new FakeService(['<<<<<<< SEARCH util.py\nK = 3\n=======\nK = 5\n>>>>>>> REPLACE\n']);
  t.deepEqual(children(await operator(allowed, { files: ['util.py'] }).propose(ctx())).map((c) => c.files), [{ 'main.py': parentA.files['main.py']!, 'util.py': 'K = 5\n' }]);
});

test('the files option with no file of the variant shows (none) as editable', async (t) => {
  const service = new FakeService(['x']);
  await operator(service, { files: ['absent.py'], repair: false }).propose(ctx());
  t.true(service.calls[0]!.messages[1]!.content.includes('Editable files: (none)\n'));
});

test('the seed sent comes from ctx.rng: the same rng seed gives the same seed, another gives another', async (t) => {
  const seeds: number[] = [];
  for (const runSeed of [11, 11, 12]) {
    const service = new FakeService([goodDiff]);
    await operator(service).propose(ctx({ rng: rngFor(runSeed, 3, 'operator') }));
    seeds.push(service.calls[0]!.seed);
  }
  t.is(seeds[0], expectedSeed);
  t.is(seeds[1], expectedSeed);
  t.not(seeds[2], expectedSeed);
  t.true(seeds.every((s) => Number.isInteger(s) && s >= 0 && s < 2 ** 31));
});

test('two proposals from equal contexts send equal requests', async (t) => {
  const a = new FakeService(['no edit', goodDiff]);
  const b = new FakeService(['no edit', goodDiff]);
  const ra = await operator(a).propose(ctx());
  const rb = await operator(b).propose(ctx());
  const strip = (calls: LlmCall[]) => calls.map(({ signal: _signal, ...rest }) => rest);
  t.deepEqual(strip(a.calls), strip(b.calls));
  t.deepEqual(ra, rb);
});

test('propose without an arm or a context fails without calling the service', async (t) => {
  const service = new FakeService([goodDiff]);
  const noArm = await operator(service).propose(ctx({ arm: undefined }));
  const noContext = await operator(service).propose(ctx({ context: undefined }));
  t.deepEqual(noArm, { ok: false, reason: 'llm-diff: the engine gave no model or context' });
  t.deepEqual(noContext, noArm);
  t.is(service.calls.length, 0);
});

test('the note is cut at 240 characters', async (t) => {
  const long = new FakeService([`${'word '.repeat(100)}\n${goodDiff}`]);
  const note = children(await operator(long).propose(ctx()))[0]!.note!;
  t.is(note.length, 240);
  t.true(note.startsWith('loop-model t=0.8, main.py: word word'));
  t.true(note.endsWith('...'));
});

test('an answer that is only SEARCH/REPLACE blocks gives a note naming model, temperature and file', async (t) => {
  const bare = new FakeService([goodDiff.slice(goodDiff.indexOf('<<<<<<<'))]);
  const note = children(await operator(bare).propose(ctx()))[0]!.note!;
  t.is(note, 'loop-model t=0.8, main.py');
});

const answerOf = (text: string, extra: Partial<LlmResult> = {}): LlmResult => ({
  ok: true, text, model: 'loop-model', finishReason: 'stop', refusal: null, tokensIn: 10, tokensOut: 10, latencyMs: 1, attempts: 1, ...extra,
} as LlmResult);

test('the note quotes the summary after a reasoning section, never a line of the reasoning', async (t) => {
  const service = new FakeService([`<think>\nHmm, maybe x + 1 is slow.\n</think>\n\n${goodDiff}`]);
  const child = children(await operator(service).propose(ctx()))[0]!;
  t.is(child.note, 'loop-model t=0.8, main.py: Return twice x.');
  const noSummary = new FakeService([`Okay, first I will think.\n</think>\n${goodDiff.slice(goodDiff.indexOf('<<<<<<<'))}`]);
  t.is(children(await operator(noSummary).propose(ctx()))[0]!.note, 'loop-model t=0.8, main.py');
});

test('the repair turn quotes the answer without its reasoning, and a draft in the reasoning is not applied', async (t) => {
  const draft = '<<<<<<< SEARCH main.py\n    return x + 1\n=======\n    return x * 3\n>>>>>>> REPLACE\n';
  const first = `<think>\nDraft:\n${draft}</think>\nDone above.`;
  const service = new FakeService([first, goodDiff]);
  const result = await operator(service).propose(ctx());
  const repair = service.calls[1]!;
  t.deepEqual(repair.messages[2], { role: 'assistant', content: 'Done above.' });
  t.true(repair.messages[3]!.content.includes('- no SEARCH/REPLACE block found outside the reasoning section; the 1 block(s) drafted inside it are not applied'), repair.messages[3]!.content);
  t.is(children(result)[0]!.files['main.py'], 'def f(x):\n    return 2 * x\n');
});

test('an answer cut off at the token limit is not applied even though it parses, and the repair says it was cut off', async (t) => {
  const service = new FakeService([answerOf(goodDiff, { finishReason: 'length' }), goodDiff]);
  const result = await operator(service).propose(ctx());
  t.is(service.calls.length, 2);
  const message = service.calls[1]!.messages[3]!.content;
  t.regex(message, /^Your answer was cut off at the token limit and could not be applied/);
  t.true(message.includes('- the answer was cut off at the token limit (finish_reason "length")'), message);
  t.is(children(result)[0]!.files['main.py'], 'def f(x):\n    return 2 * x\n');
});

test('a rewrite cut off after its closing tag is rejected as cut off, also after the repair', async (t) => {
  const cut = answerOf('<file path="util.py">\nK = 4\n</file>\nThis raises K so that', { finishReason: 'length' });
  const service = new FakeService([cut, cut]);
  const result = await operator(service, { name: 'llm-rewrite', mode: 'rewrite' }).propose(ctx());
  t.deepEqual(result, { ok: false, reason: 'the answer did not apply, even after one repair: the answer was cut off at the token limit (finish_reason "length"), so its edits may be incomplete and none is applied; answer more briefly' });
});

test('a refusal with no text fails the proposal naming the refusal, without a repair call', async (t) => {
  const service = new FakeService([answerOf('', { refusal: 'I cannot help with that.' })]);
  t.deepEqual(await operator(service).propose(ctx()), { ok: false, reason: 'the model refused: I cannot help with that.' });
  t.is(service.calls.length, 1);
});
