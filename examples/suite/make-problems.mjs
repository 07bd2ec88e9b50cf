// Writes the problem folders of the suite (run from the repository root: node examples/suite/make-problems.mjs).
import { mkdirSync, writeFileSync } from 'node:fs';
const collapse = (s) => s.replace(/\{\n\s+"type": "float",\n\s+"min": (\S+),\n\s+"max": (\S+)\n\s+\}/g, (_, a, b) => `{ "type": "float", "min": ${a}, "max": ${b} }`);
const problems = [
  ['sphere', 20], ['sphere', 100], ['rastrigin', 20], ['rastrigin', 100], ['arm', 20],
];
for (const [domain, n] of problems) {
  const dir = `examples/suite/${domain}-${n}`;
  mkdirSync(`${dir}/seed`, { recursive: true });
  const arm = domain === 'arm';
  const lo = arm ? -Math.PI : -5.12, hi = arm ? Math.PI : 5.12;
  const space = {}; const seed = {};
  for (let i = 0; i < n; i++) { space[`x${i}`] = { type: 'float', min: Number(lo.toFixed(6)), max: Number(hi.toFixed(6)) }; seed[`x${i}`] = 0; }
  const bound = arm ? n : (n / 2) * 5.12;
  const descriptors = arm
    ? [{ name: 'x', min: -n, max: n, bins: 100, description: 'end effector x (unit links)' }, { name: 'y', min: -n, max: n, bins: 100, description: 'end effector y' }]
    : [{ name: 'firstHalf', min: -bound, max: bound, bins: 100, description: `sum of x0..x${n / 2 - 1} (a coordinate outside [-5.12, 5.12] counts as 5.12 / x)` },
       { name: 'secondHalf', min: -bound, max: bound, bins: 100, description: `sum of x${n / 2}..x${n - 1} (likewise)` }];
  const description = arm
    ? `Planar robotic arm repertoire (CMA-ME paper; pyribs tutorial): ${n} unit-length links, joint angles in [-pi, pi]. Fitness is -Var(theta) (population variance, 0 at best, -pi^2 at worst: use archive.qdOffset -9.8696); descriptors are the end effector's x and y, each in [-${n}, ${n}], 100 x 100 cells. The seed is the straight arm (all angles 0).`
    : `${domain === 'sphere' ? 'Sphere' : 'Rastrigin'} with linear-projection measures (CMA-ME / CMA-MAE papers; pyribs tutorials), n = ${n}. Fitness is the ${domain} function shifted by 5.12 * 0.4 and scaled to [0, 100] (100 at the optimum x = 2.048 everywhere, 0 at the worst point of [-5.12, 5.12]^n); descriptors are the sums of the two halves of x, each in [-${bound}, ${bound}], 100 x 100 cells. Unlike pyribs the parameters are bounded to [-5.12, 5.12], so the 5.12 / x clip of the measures never applies. The seed is x = 0.`;
  writeFileSync(`${dir}/problem.json`, collapse(JSON.stringify({ $schema: '../../../configs/problem.schema.json', name: `${domain}-${n}`, description, evaluator: 'evaluator.ts', seed: 'seed', params: { file: 'params.json', space }, descriptors }, null, 2)) + "\n");
  writeFileSync(`${dir}/seed/params.json`, JSON.stringify(seed, null, 2) + '\n');
  writeFileSync(`${dir}/evaluator.ts`, `// ${domain}, n = ${n}: see ../qd-domains.ts for the definitions.\nimport { evaluatorFor } from '../suite-evaluator.js';\n\nexport const evaluate = evaluatorFor('${domain}');\n`);
}
