// The one door through which zod enters: the run-config, operator, problem and tune schemas import it from here.
export { z } from 'zod';
