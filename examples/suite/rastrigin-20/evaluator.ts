// rastrigin, n = 20: see ../qd-domains.ts for the definitions.
import { evaluatorFor } from '../suite-evaluator.js';

export const evaluate = evaluatorFor('rastrigin');
