// OperatorStates: keeps stateful operators (CMA-ES emitters) deterministic: prepared at launch, told at commit,
// their states stored with the commit and put back on resume as each launch saw them.
import { InternalError } from '../../common/errors.js';
import type { ParamSpace } from '../../common/types.js';
import { isStateful, type StatefulOperator, type ToldChild } from '../../operators/operator.js';
import { statefulArms } from '../arms/operator-registry.js';
import type { RunConfig } from '../config/config-schema.js';
import type { EmitterStateRow } from '../store/emitter-records.js';
import type { IterationRecord, RunStore } from '../store/run-store.js';

export class OperatorStates {
  /** Arm label -> its stateful operator; several arms may share one. */
  private readonly byArm = new Map<string, StatefulOperator>();
  private readonly operators: StatefulOperator[] = [];
  /** Stored rows by operator name and part, oldest first (a resume's window). */
  private stored = new Map<string, Map<number, EmitterStateRow[]>>();

  private constructor(arms: ReadonlyArray<{ label: string; operator: { name: string } }>, private readonly store: RunStore,
    private readonly params: { file: string; space: ParamSpace } | null, private readonly depth: number) {
    for (const arm of arms) {
      const op = arm.operator as StatefulOperator;
      if (!isStateful(op)) continue;
      this.byArm.set(arm.label, op);
      if (!this.operators.includes(op)) this.operators.push(op);
    }
  }

  /** null when no arm is stateful, so runs without one do nothing more. */
  static create(arms: ReadonlyArray<{ label: string; operator: { name: string } }>, store: RunStore, params: { file: string; space: ParamSpace } | null, depth: number): OperatorStates | null {
    const states = new OperatorStates(arms, store, params, depth);
    return states.operators.length === 0 ? null : states;
  }

  /** At the launch of iteration i with this arm (right after the commit of its basis). */
  launch(i: number, armLabel: string): void {
    this.byArm.get(armLabel)?.prepare(i);
  }

  /** At the commit of iteration i, inside its transaction: tells the arm's operator what its children did and stores the part that changed. */
  commit(i: number, armLabel: string, parentIds: readonly string[], record: IterationRecord): void {
    const op = this.byArm.get(armLabel);
    if (op === undefined || this.params === null || record.status !== 'evaluated') return;
    const parent = parentIds[0] === undefined ? undefined : this.store.getVariant(parentIds[0]);
    if (parent === undefined) throw new InternalError(`iteration ${i}: the parent of ${armLabel}'s children is not stored`);
    const children: ToldChild[] = record.children.map((c) => ({
      files: c.variant.files,
      outcome: c.evaluation?.status === 'ok' && c.rankValue !== undefined && c.rankValue !== null ? { status: c.addStatus, value: c.rankValue } : null,
    }));
    const changed = op.tell(i, { params: this.params, parent: parent.files, children });
    if (changed === null) return;
    this.store.emitters().save({ operator: op.name, part: changed.part, iteration: i, state: changed.state }, i + 1 - this.depth);
  }

  /** Reads the stored states; then restoreAsOf() can put them back. */
  load(): void {
    this.stored = new Map();
    for (const row of this.store.emitters().all()) {
      const parts = this.stored.get(row.operator) ?? new Map<number, EmitterStateRow[]>();
      this.stored.set(row.operator, parts);
      parts.set(row.part, [...(parts.get(row.part) ?? []), row]);
    }
  }

  /** Every operator's parts as the commit of iteration c left them (a resume relaunching the iterations after c). */
  restoreAsOf(c: number): void {
    for (const op of this.operators) {
      const parts = this.stored.get(op.name);
      if (parts === undefined) continue;
      for (const [part, rows] of parts) {
        // Rows are pruned to the newest one before the window a resume relaunches from, so this is the state after c.
        let found: EmitterStateRow | undefined;
        for (const row of rows) if (row.iteration <= c) found = row;
        op.restore(part, found?.state ?? null);
      }
    }
  }

  /** The emitters of a stored run as its last commit left them, a line each (status). */
  static describeStored(config: RunConfig, store: RunStore): string[] {
    const states = OperatorStates.create(statefulArms(config), store, null, config.pipelineDepth);
    if (states === null) return [];
    states.load();
    states.restoreAsOf(Number.MAX_SAFE_INTEGER);
    return states.describe();
  }

  /** A line per part of every stateful operator, for status. */
  describe(): string[] {
    return this.operators.flatMap((op) => op.describeState().map((line) => `${op.name} ${line}`));
  }
}
