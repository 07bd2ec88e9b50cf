// Runs the gauntlet: a search whose "LLM" answers with hostile candidates, then checks that the host was not touched.
// Usage: node --import=tsx examples/gauntlet/run-gauntlet.ts [ouroboros run flags, e.g. --db x.sqlite --overwrite]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setUpCanaries, substitutions } from './canaries.js';
import { startHostileLlm } from './hostile-llm.js';

const flags = process.argv.slice(2);
if (flags.includes('--help') || flags.includes('-h')) {
  process.stdout.write('usage: node --import=tsx examples/gauntlet/run-gauntlet.ts [ouroboros run flags]\n' +
    'Plants canaries (a root-only secret file, a secret environment variable, a listening port), starts a loopback LLM that\n' +
    'answers with the hostile candidates of tests/hostile-corpus/ (and sometimes an honest fix), runs\n' +
    '`ouroboros run examples/gauntlet/config.json` against it, and checks afterwards that nothing reached the canaries.\n' +
    'Exit code: the run\'s, or 1 when a canary was touched.\n');
  process.exit(0);
}
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const canaries = await setUpCanaries();
const llm = await startHostileLlm({ corpusDir: here('../../tests/hostile-corpus'), substitutions: substitutions(canaries) });
process.stdout.write(`hostile loopback LLM on ${llm.baseURL}; canaries: ${canaries.dir}, port ${canaries.port}, $OURO_CANARY_API_KEY\n`);
let db = here('../../runs/gauntlet.sqlite');
const at = flags.indexOf('--db');
if (at >= 0 && flags[at + 1] !== undefined) db = flags[at + 1]!;
const child = spawn(process.execPath, [here('../../dist/cli/main.js'), 'run', here('./config.json'), '--base-url', llm.baseURL, ...flags], { stdio: 'inherit' });
process.on('SIGINT', () => {});
process.on('SIGTERM', () => child.kill('SIGTERM'));
const code = await new Promise<number>((resolve) => child.on('close', (c, signal) => resolve(c ?? (signal ? 128 : 1))));
const s = llm.stats();
const findings = canaries.findings([db, `${db}-wal`]);
// Held-out results are private: no request the engine sent may name them.
if (llm.requestsText().includes('heldOut')) findings.push('a prompt named the held-out (private) metrics');
await llm.close();
await canaries.close();
process.stdout.write(`\nthe hostile LLM answered ${s.requests} requests: ${s.honest} honest fixes, ${s.requests - s.honest} hostile candidates ` +
  `(${Object.keys(s.hostile).length} kinds: ${Object.entries(s.hostile).map(([k, v]) => `${k} ${v}`).join(', ')})\n`);
process.stdout.write(findings.length === 0
  ? 'host untouched: no connection reached the listener, the secret folder is unchanged, no process was left behind, and no secret is in the run database\n'
  : `HOST TOUCHED:\n${findings.map((f) => `  ${f}`).join('\n')}\n`);
process.exit(findings.length > 0 ? 1 : code);
