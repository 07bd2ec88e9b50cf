// Runs an LLM example config against the mutating loopback LLM: starts the server, runs the CLI with --base-url, stops the server.
// Usage: node --import=tsx examples/loopback-llm/run-example.ts [--tune] <config> [more ouroboros run (or tune) flags]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startMutatingLlm } from './mutating-llm-server.js';

// --tune: run `ouroboros tune <tune config>` instead, with the endpoint in OPENAI_BASE_URL (inner searches read it).
const tune = process.argv[2] === '--tune';
const [config, ...rest] = process.argv.slice(tune ? 3 : 2);
if (config === undefined || config === '--help' || config === '-h') {
  process.stdout.write('usage: node --import=tsx examples/loopback-llm/run-example.ts <config> [ouroboros run flags]\n' +
    'Starts the mutating loopback LLM (random numeric edits, not a real model) and runs `ouroboros run <config> --base-url <it>`.\n');
  process.exit(config === undefined ? 2 : 0);
}
const latencyMs = Number(process.env.LOOPBACK_LATENCY_MS ?? 0);
const server = await startMutatingLlm({ latencyMs });
process.stdout.write(`loopback LLM on ${server.baseURL} (latency ${latencyMs} ms; a stand-in that makes random numeric edits)\n`);
const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const args = tune ? ['tune', config, ...rest] : ['run', config, '--base-url', server.baseURL, ...rest];
const child = spawn(process.execPath, [cli, ...args], { stdio: 'inherit', env: { ...process.env, OPENAI_BASE_URL: server.baseURL } });
// Ctrl-C reaches the CLI through the terminal's process group; the server stays up until the CLI has stopped cleanly.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => child.kill('SIGTERM'));
const code = await new Promise<number>((resolve) => child.on('close', (c, signal) => resolve(c ?? (signal ? 128 : 1))));
const s = server.stats();
process.stdout.write(`loopback LLM answered ${s.requests} requests (at most ${s.maxConcurrent} at once)\n`);
await server.close();
process.exit(code);
