// `ouroboros show`: one variant's files, evaluation and lineage.
import { RunReader } from '../../engine/output/run-reader.js';

export function showCommand(db: string, id: string, json: boolean): number {
  const reader = RunReader.open(db);
  try {
    const found = reader.variant(id);
    if ('error' in found) {
      process.stderr.write(`error: ${found.error}\n`);
      return 2;
    }
    if (json) {
      process.stdout.write(JSON.stringify(found, null, 2) + '\n');
      return 0;
    }
    const { variant, evaluation, lineage } = found;
    const out: string[] = [];
    out.push(`variant ${variant.id}: made by ${variant.lineage.operator} at iteration ${variant.lineage.iteration} on island ${variant.lineage.island}` +
      (variant.lineage.parentIds.length ? ` from ${variant.lineage.parentIds.join(', ')}` : ''));
    if (variant.note) out.push(`  change: ${variant.note}`);
    if (evaluation === null) out.push('evaluation: none');
    else if (evaluation.status === 'ok') {
      out.push(`evaluation: ok, fitness ${evaluation.fitness}, descriptors [${evaluation.descriptors.join(', ')}], seed ${evaluation.seed}, ${evaluation.durationMs.toFixed(0)} ms`);
      const r = evaluation.recheck;
      if (r) out.push(`  re-checked (${r.aggregate} of ${r.samples.length}): first ${r.first}, samples [${r.samples.join(', ')}], spread ${r.spread}, std ${r.std}`);
      for (const [k, v] of Object.entries(evaluation.metrics)) out.push(`  ${k}: ${v}`);
      for (const [k, v] of Object.entries(evaluation.private?.metrics ?? {})) out.push(`  private ${k}: ${v}`);
      for (const [k, v] of Object.entries(evaluation.artifacts)) out.push(indented(`artifact ${k}`, v));
      for (const [k, v] of Object.entries(evaluation.private?.artifacts ?? {})) out.push(indented(`private artifact ${k}`, v));
    } else {
      out.push(`evaluation: ${evaluation.status} (${evaluation.reason}): ${evaluation.message}`);
      for (const [k, v] of Object.entries(evaluation.artifacts ?? {})) out.push(indented(`artifact ${k}`, v));
    }
    for (const st of evaluation?.stages ?? []) {
      out.push(`  stage ${st.name}: ${st.passed ? 'passed' : 'stopped'}, fitness ${st.fitness ?? '-'}${st.threshold === null ? '' : ` (threshold ${st.threshold})`}, ${st.durationMs.toFixed(0)} ms`);
    }
    out.push('lineage (nearest first):');
    for (const a of lineage) out.push(`  ${a.id}  iteration ${a.iteration}  ${a.operator.padEnd(16)} ${a.fitness === null ? a.status ?? '-' : a.fitness}`);
    for (const [name, text] of Object.entries(variant.files)) {
      out.push(`--- ${name}`);
      out.push(text.replace(/\n$/, ''));
    }
    process.stdout.write(out.join('\n') + '\n');
    return 0;
  } finally {
    reader.close();
  }
}

function indented(title: string, text: string): string {
  return `  ${title}:\n${text.split('\n').map((l) => `    ${l}`).join('\n')}`;
}
