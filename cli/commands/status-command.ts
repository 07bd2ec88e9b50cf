// `ouroboros status`: a run's progress, archive, best variant and operators, as text or JSON.
import { RunReader, type RunStatus } from '../../engine/output/run-reader.js';

export function statusCommand(db: string, json: boolean): number {
  const reader = RunReader.open(db);
  try {
    const s = reader.status();
    process.stdout.write(json ? JSON.stringify(s, null, 2) + '\n' : formatStatus(s));
    return 0;
  } finally {
    reader.close();
  }
}

export function formatStatus(s: RunStatus): string {
  const lines: string[] = [];
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  lines.push(`run ${s.db}`);
  lines.push(`  state ${s.status}; created ${s.createdAt} by ouroboros ${s.engineVersion}; seed ${s.seed}; ${(s.elapsedMs / 1000).toFixed(1)} s of search`);
  const budget = Object.entries(s.budget).map(([k, v]) => `${k} ${v}`).join(', ');
  lines.push(`  iterations ${s.iterations} (budget: ${budget})`);
  const by = Object.entries(s.evaluationsByStatus).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  lines.push(`  evaluations ${s.evaluations} (${by}); ${s.cachedChildren} children reused a stored evaluation`);
  const reasons = Object.entries(s.evaluationsByReason).map(([k, v]) => `${k} ${v}`).join(', ');
  if (reasons) lines.push(`  without a score, by reason: ${reasons}`);
  const a = s.archive;
  lines.push(`archive (${a.kind}): ${a.filledCells}/${a.totalCells} cells (coverage ${pct(a.coverage)}), QD score ${a.qdScore.toPrecision(6)} (offset ${a.qdOffset}), best ${a.bestFitness?.toPrecision(6) ?? '-'}, mean ${a.meanFitness?.toPrecision(6) ?? '-'}`);
  if (a.islands.length > 1) {
    a.islands.forEach((isl, k) => lines.push(`  island ${k}: ${isl.filledCells} cells, QD ${isl.qdScore.toPrecision(6)}, best ${isl.bestFitness?.toPrecision(6) ?? '-'}`));
    if (s.islandResets > 0) lines.push(`  ${s.islandResets} island reset(s) after stagnating`);
  }
  if (s.qdTrend.length > 1) {
    lines.push(`  over time: ${s.qdTrend.map((q) => `it ${q.iteration}: ${q.filledCells} cells, QD ${q.qdScore.toPrecision(4)}, best ${q.bestFitness?.toPrecision(4) ?? '-'}`).join(' | ')}`);
  }
  if (s.best) {
    const seed = s.seedVariant.fitness;
    lines.push(`best: ${s.best.id} fitness ${s.best.fitness.toPrecision(6)}${seed === null ? '' : ` (seed ${seed.toPrecision(6)})`}, cell ${s.best.cell} on island ${s.best.island}, found at iteration ${s.best.iteration}`);
  }
  lines.push('operators:');
  lines.push(`  ${'operator'.padEnd(18)}${'uses'.padStart(7)}${'failed'.padStart(8)}${'eval-fail'.padStart(10)}${'new'.padStart(6)}${'improved'.padStart(10)}${'success'.padStart(9)}`);
  for (const o of s.operators) {
    lines.push(`  ${o.operator.padEnd(18)}${String(o.uses).padStart(7)}${String(o.failures).padStart(8)}${String(o.evaluationFailures).padStart(10)}${String(o.newCells).padStart(6)}${String(o.improvements).padStart(10)}${pct(o.successRate).padStart(9)}`);
  }
  if (s.llm.calls > 0 || s.operatorChoice.policy !== 'weights' || s.arms.length !== s.operators.length) {
    // The credit unit is named only when it is not the default (per iteration), as older runs showed it.
    const policy = Object.entries(s.operatorChoice).filter(([k, v]) => !(k === 'credit' && v === 'iteration'))
      .map(([k, v]) => (k === 'policy' ? String(v) : k === 'credit' ? `credit per ${String(v)}` : `${k} ${typeof v === 'number' ? Number(v.toPrecision(4)) : v}`)).join(', ');
    lines.push(`arms (${policy}):`);
    lines.push(`  ${'arm'.padEnd(44)}${'pulls'.padStart(7)}${'mean reward'.padStart(13)}${'score'.padStart(9)}`);
    for (const a of s.arms) {
      lines.push(`  ${a.label.padEnd(44)}${String(a.pulls).padStart(7)}${(a.mean === null ? '-' : a.mean.toFixed(3)).padStart(13)}${(a.score === null ? '-' : a.score.toFixed(3)).padStart(9)}`);
    }
  }
  if (s.queue !== null) {
    const q = s.queue;
    lines.push(`queue "${q.name}" at ${q.url} (as of ${q.at}): ${q.waiting} waiting, ${q.active} active; ${q.inFlight} of this run in flight, ${q.resent} re-sent after Redis lost them`);
    for (const w of q.workers) lines.push(`  worker ${w.id.padEnd(28)} ${String(w.concurrency).padStart(3)} at once ${String(w.jobsDone).padStart(8)} jobs done  last seen ${w.lastSeen}`);
    if (q.workers.length === 0) lines.push('  no worker has reported in (start one: ouroboros worker <redis-url>)');
  }
  if (s.emitters.length > 0) lines.push('emitters:', ...s.emitters.map((line) => `  ${line}`));
  for (const p of s.prompts) {
    lines.push(`prompt variants of ${p.operator}:`);
    for (const v of p.variants) {
      const origin = v.createdBy === 0 ? 'original' : `bred at ${v.createdBy}`;
      lines.push(`  ${v.label.padEnd(16)}${origin.padEnd(16)}${v.status.padEnd(9)}${String(v.uses).padStart(6)} uses  mean reward ${v.meanReward === null ? '-' : v.meanReward.toFixed(3)}${v.note ? `  ${v.note.slice(0, 80)}` : ''}`);
    }
  }
  const l = s.llm;
  if (l.calls > 0) {
    const outcomes = Object.entries(l.byOutcome).map(([k, v]) => `${k} ${v}`).join(', ');
    lines.push(`LLM: ${l.calls} calls (${outcomes}), ${l.tokensIn} tokens in, ${l.tokensOut} out, cost $${l.cost.toFixed(4)}`);
    for (const m of l.byModel) {
      lines.push(`  ${m.model.padEnd(28)}${String(m.calls).padStart(6)} calls${String(m.tokensIn + m.tokensOut).padStart(10)} tokens  $${m.cost.toFixed(4)}  mean latency ${m.meanLatencyMs === null ? '-' : `${m.meanLatencyMs.toFixed(0)} ms`}`);
    }
  }
  return lines.join('\n') + '\n';
}
