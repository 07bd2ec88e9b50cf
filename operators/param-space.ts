// Parameter spaces: validating a parameter file against its space and writing it back canonically.
import { canonicalJson } from '../common/content-id.js';
import type { ParamSpace, ParamSpec, ParamValue, Params } from '../common/types.js';

/** Every problem with `params` in a file, one line each; [] when the file fits the space. */
export function checkParams(params: unknown, space: ParamSpace): string[] {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) return ['must be a JSON object'];
  const problems: string[] = [];
  const record = params as Record<string, unknown>;
  for (const name of Object.keys(space)) {
    if (!(name in record)) problems.push(`${name}: missing (the space declares it)`);
  }
  for (const [name, value] of Object.entries(record)) {
    const spec = space[name];
    if (spec === undefined) { problems.push(`${name}: not in the parameter space`); continue; }
    const problem = checkValue(value, spec);
    if (problem !== null) problems.push(`${name}: ${problem}`);
  }
  return problems;
}

function checkValue(value: unknown, spec: ParamSpec): string | null {
  if (spec.type === 'categorical') {
    return spec.values.includes(value as ParamValue) ? null : `must be one of ${JSON.stringify(spec.values)} (got ${JSON.stringify(value)})`;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) return `must be a finite number (got ${JSON.stringify(value)})`;
  if (spec.type === 'int' && !Number.isInteger(value)) return `must be an integer (got ${value})`;
  if (value < spec.min || value > spec.max) return `must be between ${spec.min} and ${spec.max} (got ${value})`;
  return null;
}

/** Parses a parameter file's text; throws a one-line Error when it is not JSON. */
export function parseParams(text: string): Params {
  return JSON.parse(text) as Params;
}

/** The canonical text of a parameter file, so equal parameters always give the same variant id. */
export function formatParams(params: Params): string {
  return canonicalJson(params);
}

/** Rounds floats to 6 significant digits: children stay readable and tiny differences do not count as new variants. */
export function roundFloat(value: number): number {
  return Number(value.toPrecision(6));
}

export function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

/** The numeric parameters of a space in name order: what continuous operators (CMA-ES) search over. */
export function numericNames(space: ParamSpace): string[] {
  return Object.keys(space).sort().filter((name) => space[name]!.type !== 'categorical');
}

/**
 * A numeric parameter's value in units of its range (of the log range for `log` floats): 0 at min, 1 at max.
 * Operators that step in this unit space treat every parameter alike, whatever its scale.
 */
export function toUnit(value: number, spec: ParamSpec): number {
  if (spec.type === 'categorical') throw new RangeError('a categorical parameter has no unit value');
  const log = spec.type === 'float' && spec.log === true;
  const lo = log ? Math.log(spec.min) : spec.min;
  const span = (log ? Math.log(spec.max) : spec.max) - lo;
  return span === 0 ? 0 : ((log ? Math.log(value) : value) - lo) / span;
}

/** The inverse of toUnit, clamped to the range, ints rounded and floats rounded as roundFloat does. */
export function fromUnit(u: number, spec: ParamSpec): number {
  if (spec.type === 'categorical') throw new RangeError('a categorical parameter has no unit value');
  const log = spec.type === 'float' && spec.log === true;
  const lo = log ? Math.log(spec.min) : spec.min;
  const raw = lo + u * ((log ? Math.log(spec.max) : spec.max) - lo);
  const value = log ? Math.exp(raw) : raw;
  return spec.type === 'int' ? clamp(Math.round(value), spec.min, spec.max) : clamp(roundFloat(value), spec.min, spec.max);
}
