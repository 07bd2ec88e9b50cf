// sphere, n = 100: see ../qd-domains.ts for the definitions.
import { evaluatorFor } from '../suite-evaluator.js';

export const evaluate = evaluatorFor('sphere');
