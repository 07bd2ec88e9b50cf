// `ouroboros schema`: the JSON Schema of run configs (or of problem.json, or of tune configs), for editors to complete and check.
import { writeFileSync } from 'node:fs';
import { jsonSchemaOf, type SchemaKind } from '../../engine/config/config-schema.js';

export function schemaCommand(kind: SchemaKind, out: string | undefined): number {
  const text = JSON.stringify(jsonSchemaOf(kind), null, 2) + '\n';
  if (out === undefined) process.stdout.write(text);
  else {
    writeFileSync(out, text);
    process.stderr.write(`wrote ${out}; name it in a ${{ 'run-config': 'run config', problem: 'problem.json', tune: 'tune config' }[kind]} as "$schema": "<relative path to it>"\n`);
  }
  return 0;
}
