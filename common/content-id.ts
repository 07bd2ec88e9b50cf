// Content addressing: a variant's id is the hash of its canonical files.
import { createHash } from 'node:crypto';
import type { VariantFiles } from './types.js';

/** sha256 over the files sorted by name; the same files always give the same id, whatever the key order. */
export function contentId(files: VariantFiles): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(files).sort()) {
    const text = files[name] ?? '';
    hash.update(`${Buffer.byteLength(name)}:${name}\u0000${Buffer.byteLength(text)}:`);
    hash.update(text);
  }
  return hash.digest('hex').slice(0, 16);
}

/** JSON with keys sorted at every level, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2) + '\n';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as object).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}
