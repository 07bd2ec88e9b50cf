// Drives the compiled `ouroboros` CLI in child processes and reads run databases, for integration tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const cliPath = join(root, 'dist/cli/main.js');
export const sphereConfig = join(root, 'tests/fixtures/configs/sphere.json');

export interface CliResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

export function tempDir(prefix = 'ouroboros-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Starts the CLI; the caller may signal the child before awaiting `done`. The sphere fixture's evaluations wait
 * rather than spin (SPHERE_IDLE), unless `env` says otherwise.
 */
export function startCli(args: string[], env: Record<string, string> = {}, cwd = root): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [cliPath, ...args], { cwd, env: { ...process.env, SPHERE_IDLE: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

/**
 * Waits until the run at `db` has committed at least `target` iterations and returns how many it has;
 * throws with the child's stderr when the child ended first, so a test never waits forever for a
 * run that failed or finished early.
 */
export async function untilCommitted(db: string, target: number, done: Promise<CliResult>, pollMs = 5): Promise<number> {
  let ended: CliResult | undefined;
  void done.then((r) => { ended = r; });
  for (;;) {
    let n = 0;
    try { n = committedIterations(db); } catch { /* not created yet */ }
    if (n >= target) return n;
    if (ended !== undefined) throw new Error(`the run ended (code ${ended.code}, signal ${ended.signal}) after ${n} commits, before ${target}: ${ended.stderr}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export function runCli(args: string[], env: Record<string, string> = {}, cwd = root): Promise<CliResult> {
  return startCli(args, env, cwd).done;
}

/** The archive as a comparable value: every island's cells with elite id and fitness. */
export function archiveOf(db: string): Array<{ island: number; cell: number; variant_id: string; fitness: number }> {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare('SELECT island, cell, variant_id, fitness FROM archive_cells ORDER BY island, cell').all() as Array<{ island: number; cell: number; variant_id: string; fitness: number }>;
  } finally {
    conn.close();
  }
}

/** The iteration log as a comparable value: what each iteration chose and produced. */
export function logOf(db: string): unknown[] {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare(`SELECT i.iteration, i.island, i.operator, i.parent_ids, i.status, i.arm, i.reward, i.llm_calls, i.llm_tokens, c.variant_id, c.add_status, e.fitness, e.status AS eval
      FROM iterations i LEFT JOIN children c ON c.iteration = i.iteration LEFT JOIN evaluations e ON e.variant_id = c.variant_id
      ORDER BY i.iteration, c.child_index`).all();
  } finally {
    conn.close();
  }
}

/** Every row a query returns, from a read-only connection to the run. */
export function rowsOf<T>(db: string, sql: string): T[] {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare(sql).all() as T[];
  } finally {
    conn.close();
  }
}

export function committedIterations(db: string): number {
  const conn = new Database(db, { readonly: true });
  try {
    return (conn.prepare('SELECT count(*) FROM iterations').pluck().get() as number);
  } finally {
    conn.close();
  }
}
