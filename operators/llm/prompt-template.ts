// Prompt templates: text files with {{placeholders}}, checked when a run starts and filled at every call.

/** The templates an LLM operator uses; each is the text of a file under configs/prompts/ (or the run's override folder). */
export interface PromptTemplates {
  system: string;
  diff: string;
  rewrite: string;
  crossover: string;
}

export const TEMPLATE_NAMES = ['system', 'diff', 'rewrite', 'crossover'] as const satisfies ReadonlyArray<keyof PromptTemplates>;

/** What each template may refer to. A placeholder outside its list is a mistake in the template, reported before the run starts. */
export const PLACEHOLDERS: Record<keyof PromptTemplates, readonly string[]> = {
  system: ['task', 'descriptors'],
  diff: ['task', 'descriptors', 'evaluation', 'files', 'lineage', 'attempts', 'elites', 'editable'],
  rewrite: ['task', 'descriptors', 'evaluation', 'files', 'lineage', 'attempts', 'elites', 'editable'],
  crossover: ['task', 'descriptors', 'parents', 'attempts', 'elites', 'editable'],
};

const pattern = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Placeholder names used by `template`, in order of first use. */
export function placeholdersOf(template: string): string[] {
  return [...new Set([...template.matchAll(pattern)].map((m) => m[1]!))];
}

/** One line per problem: unknown placeholders, by template. */
export function checkTemplates(templates: PromptTemplates): string[] {
  return TEMPLATE_NAMES.flatMap((name) => placeholdersOf(templates[name])
    .filter((p) => !PLACEHOLDERS[name].includes(p))
    .map((p) => `${name}.md: unknown placeholder {{${p}}} (this template knows ${PLACEHOLDERS[name].map((k) => `{{${k}}}`).join(', ')})`));
}

/** Fills every placeholder in one pass, so that a value containing "{{x}}" (a parent's code) is never expanded again. */
export function render(template: string, values: Record<string, string>): string {
  return template.replace(pattern, (whole, name: string) => values[name] ?? whole);
}
