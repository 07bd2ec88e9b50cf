// CmaEmitterOperator: CMA-ME's improvement emitters and CMA-MAE's annealing emitters (Fontaine et al. 2020,
// Fontaine & Nikolaidis 2023, as pyribs' EvolutionStrategyEmitter), as one operator of the bandit.
import type { Params, ParamSpace, VariantFiles } from '../../common/types.js';
import type { OperatorContext, OperatorResult, StatefulOperator, ToldChild } from '../operator.js';
import { formatParams, fromUnit, numericNames, parseParams, toUnit } from '../param-space.js';
import { converged, decodeState, encodeState, initialState, sample, tell, type CmaState } from './cma-es.js';

export interface CmaEmitterOptions {
  /** Independent CMA-ES instances; iteration i uses emitter i mod emitters. */
  emitters: number;
  /** Children per iteration (one CMA-ES generation); default 4 + floor(3 ln n), n the numeric parameters. */
  batchSize?: number;
  /** The first step size, in units of each parameter's range. */
  sigma0: number;
  /** 'two-stage-improvement': new cells first, then improved ones, each by improvement (CMA-ME); 'improvement': by improvement alone (CMA-MAE). */
  ranker: 'two-stage-improvement' | 'improvement';
  /** 'filter': the children the archive took are the parents; 'mu': the better half, taken or not. */
  selection: 'filter' | 'mu';
  /** 'basic': restart when CMA-ES converges; 'no-improvement': also when no child was taken. */
  restart: 'basic' | 'no-improvement';
}

/** One emitter: its distribution (null: it starts afresh from the next iteration's parent), restarts so far. */
interface Slot { cma: CmaState | null; restarts: number; lastRestart: string | null }

/**
 * Each emitter is a CMA-ES over the problem's numeric parameters in units of their ranges (categoricals are
 * copied from the parent). An emitter (re)starts at its iteration's first parent, chosen by the run's
 * selection (pyribs restarts at a random elite), with covariance I and step sigma0. At commit its
 * children are ranked by what the archive did with them and the best `mu` update the distribution.
 * Children outside the box are drawn again (up to 10 times), then clamped; the update uses the values
 * evaluated. Several generations of one emitter may be in flight (pipelineDepth above `emitters`): each
 * is sampled from the state its launch saw and updates the state it finds at its commit.
 */
export class CmaEmitterOperator implements StatefulOperator {
  readonly stateful = true as const;
  readonly parentCount = 1;
  private slots: Slot[];
  private readonly prepared = new Map<number, CmaState | null>();

  constructor(readonly options: CmaEmitterOptions, readonly name: string) {
    if (!(Number.isInteger(options.emitters) && options.emitters >= 1)) throw new RangeError(`emitters must be a positive integer (got ${options.emitters})`);
    this.slots = Array.from({ length: options.emitters }, () => ({ cma: null, restarts: 0, lastRestart: null }));
  }

  private emitterOf(iteration: number): number {
    return iteration % this.options.emitters;
  }

  lambda(n: number): number {
    return this.options.batchSize ?? 4 + Math.floor(3 * Math.log(n));
  }

  prepare(iteration: number): void {
    this.prepared.set(iteration, this.slots[this.emitterOf(iteration)]!.cma);
  }

  async propose({ parents, rng, iteration, params }: OperatorContext): Promise<OperatorResult> {
    const state = this.prepared.has(iteration) ? this.prepared.get(iteration)! : this.slots[this.emitterOf(iteration)]!.cma;
    this.prepared.delete(iteration);
    if (params === null) return { ok: false, reason: 'the problem declares no parameter space' };
    const names = numericNames(params.space);
    if (names.length === 0) return { ok: false, reason: 'the parameter space has no numeric parameter for CMA-ES to search' };
    const parent = parents[0]!;
    const text = parent.files[params.file];
    if (text === undefined) return { ok: false, reason: `the parent has no ${params.file}` };
    const base = parseParams(text);
    const cma = state ?? initialState(names.map((name) => toUnit(base[name] as number, params.space[name]!)), this.options.sigma0);
    const lambda = this.lambda(names.length);
    const children = [];
    for (let k = 0; k < lambda; k++) {
      let x = sample(cma, rng);
      for (let retry = 0; retry < 10 && x.some((u) => u < 0 || u > 1); retry++) x = sample(cma, rng);
      const child: Params = { ...base };
      names.forEach((name, d) => { child[name] = fromUnit(x[d]!, params.space[name]!); });
      children.push({ files: { ...parent.files, [params.file]: formatParams(child) }, note: `${this.name} emitter ${this.emitterOf(iteration)}${state === null ? ' (started at its parent)' : ''}, sigma ${cma.sigma.toPrecision(3)}, child ${k + 1}/${lambda}` });
    }
    return { ok: true, children };
  }

  tell(iteration: number, told: { params: { file: string; space: ParamSpace }; parent: VariantFiles; children: ToldChild[] }): { part: number; state: Buffer } {
    const e = this.emitterOf(iteration);
    const slot = this.slots[e]!;
    const { space, file } = told.params;
    const names = numericNames(space);
    const vectorOf = (files: VariantFiles): Float64Array | null => {
      const text = files[file];
      if (text === undefined || names.length === 0) return null;
      const p = parseParams(text);
      return Float64Array.from(names, (name) => toUnit(p[name] as number, space[name]!));
    };
    let base = slot.cma;
    if (base === null) {
      const x0 = vectorOf(told.parent);
      if (x0 === null) return { part: e, state: this.encodeSlot(slot) };
      base = initialState(x0, this.options.sigma0);
    }
    const ranked = told.children.flatMap((c, k) => (c.outcome === null ? [] : [{ k, ...c.outcome }]));
    const rank = (s: string) => (this.options.ranker === 'improvement' ? 0 : s === 'new' ? 2 : s === 'improved' ? 1 : 0);
    ranked.sort((a, b) => rank(b.status) - rank(a.status) || b.value - a.value || a.k - b.k);
    const taken = ranked.filter((c) => c.status !== 'rejected').length;
    const lambda = this.lambda(names.length);
    const mu = this.options.selection === 'filter' ? taken : Math.min(ranked.length, Math.floor(lambda / 2));
    const parents = ranked.slice(0, mu).map((c) => vectorOf(told.children[c.k]!.files)!);
    const next = tell(base, parents, lambda);
    const why = converged(next, ranked.map((c) => (this.options.ranker === 'improvement' ? c.value : [rank(c.status), c.value])))
      ?? (this.options.restart === 'no-improvement' && taken === 0 ? 'no child was taken by the archive' : null);
    this.slots[e] = why === null ? { ...slot, cma: next } : { cma: null, restarts: slot.restarts + 1, lastRestart: `${why} (iteration ${iteration})` };
    return { part: e, state: this.encodeSlot(this.slots[e]!) };
  }

  restore(part: number, state: Buffer | null): void {
    if (!(part >= 0 && part < this.slots.length)) return;
    this.slots[part] = state === null ? { cma: null, restarts: 0, lastRestart: null } : decodeSlot(state);
  }

  describeState(): string[] {
    return this.slots.map((s, e) => `emitter ${e}: ${s.cma === null ? 'starts at its next parent' : `generation ${s.cma.generation}, sigma ${s.cma.sigma.toPrecision(3)}`}, ${s.restarts} restart(s)${s.lastRestart ? `, last: ${s.lastRestart}` : ''}`);
  }

  private encodeSlot(slot: Slot): Buffer {
    const note = Buffer.from(slot.lastRestart ?? '', 'utf8');
    const head = Buffer.alloc(12);
    head.writeUInt32LE(slot.restarts, 0);
    head.writeUInt32LE(note.length, 4);
    head.writeUInt32LE(slot.cma === null ? 0 : 1, 8);
    // Padded so the float64 part starts at a multiple of 8.
    const pad = Buffer.alloc((8 - ((12 + note.length) % 8)) % 8);
    return Buffer.concat([head, note, pad, ...(slot.cma === null ? [] : [encodeState(slot.cma)])]);
  }
}

function decodeSlot(bytes: Buffer): Slot {
  const restarts = bytes.readUInt32LE(0);
  const noteLength = bytes.readUInt32LE(4);
  const has = bytes.readUInt32LE(8) === 1;
  const note = bytes.subarray(12, 12 + noteLength).toString('utf8');
  const start = 12 + noteLength + ((8 - ((12 + noteLength) % 8)) % 8);
  return { restarts, lastRestart: note === '' ? null : note, cma: has ? decodeState(bytes.subarray(start)) : null };
}
