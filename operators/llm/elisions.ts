// Recognises the lines with which models elide code ("// ... unchanged ...", "# rest of the code", "…") in edits meant to be complete.

/** Comment openers and closers of the common languages (C family, Python/shell, SQL/Lua, Lisp, TeX, HTML/XML, JSX, OCaml). */
const COMMENT_OPEN = /^(?:\/\/+|#+|--+|;+|%+|\/\*+|<!--|\{\s*\/\*+|\(\*)\s*/;
const COMMENT_CLOSE = /\s*(?:\*+\/\s*\}?|-->|\*\))$/;
const DOTS_ONLY = /^(?:(?:\.\s*){3,}|…+)$/;
const LEADING_DOTS = /^(?:\.{3,}|…+)/;
const TRAILING_DOTS = /(?:\.{3,}|…)$/;
/** Words that say "code left out" next to an ellipsis. */
const ELISION_WORDS = /\b(?:rest|remaining|remainder|unchanged|same|existing|omitted|elided|truncated|snip(?:ped)?|previous|original|other|more|etc|code|as before|before|above|below|here|lines?|methods?|functions?|implementation|body|content|logic)\b/i;
/** The same, but strong enough to say it on their own with only a trailing ellipsis. */
const STRONG_WORDS = /\b(?:rest of|remaining (?:code|lines|methods|functions|implementation|logic|parts?)|unchanged|remains? the same|existing (?:code|implementation|logic)|omitted|elided|as before|same as (?:before|above|the original|original)|previous code|other (?:code|methods|functions)|more code)\b/i;
const SUBJECT = '(?:the |your |this )?(?:code|file|function|class|method|module|implementation|program|script|body|document|prompt|text|logic|tests?|component|loop|setup|config(?:uration)?)';
const UNCHANGED = '(?:unchanged|the same|as (?:is|before|it was)|untouched)';
/** What, after a subject, says it was left out: "unchanged", "remains the same", "goes here", "omitted". */
const LEFT_OUT = `(?:(?:is |are |remains? |stays? )?${UNCHANGED}|(?:goes )?here|omitted)`;
/** Nouns of code, which "... are the same" must be about to say that code was left out ("all values are the same" is not). */
const CODE_NOUNS = '(?:code|methods?|functions?|implementations?|logic|helpers|lines|imports|class(?:es)?|files?|body|parts?|sections?|tests)';
/**
 * Whole comments that are an elision with no ellipsis at all. Each says that something was left
 * out ("unchanged", "remains the same", "rest of", "existing code", "as before", "goes here",
 * "omitted"): a comment that only names code ("# Other helpers", "// same logic", "# REST",
 * "// everything else") is a heading of what follows.
 */
const PHRASES: RegExp[] = [
  new RegExp(`^(?:the )?rest(?: of ${SUBJECT}(?: ${LEFT_OUT})?| ${LEFT_OUT})$`, 'i'),
  new RegExp(`^(?:existing|previous|original|unchanged|same|other|remaining) (?:code|implementation|content|lines|logic|methods|functions|imports|tests|helpers|setup|body) ${LEFT_OUT}$`, 'i'),
  /^(?:existing|unchanged) (?:code|implementation)$/i,
  new RegExp(`^(?:(?:the )?rest|other|all|everything|all other|remaining|existing|previous|original)\\b[\\w ]{0,40} (?:(?:is|are|remains?|stays?|left|kept) (?:unchanged|untouched|as (?:is|before|it was))|(?:remains?|stays?) the same)$`, 'i'),
  new RegExp(`^(?:(?:the )?rest|other|all|all other|remaining|existing|previous|original)\\b[\\w ]{0,40}\\b${CODE_NOUNS} (?:is|are) the same(?: as before)?$`, 'i'),
  new RegExp(`^(?:keep|leave) (?:the rest(?: of ${SUBJECT})?|everything else)(?: ${UNCHANGED})?$`, 'i'),
  new RegExp(`^(?:keep|leave) (?:the )?(?:existing|other|remaining)\\b[\\w ]{0,40} ${UNCHANGED}$`, 'i'),
  new RegExp(`^(?:everything|all) else (?:is |remains |stays )?${UNCHANGED}$`, 'i'),
  /^(?:unchanged|same as (?:before|the original|original))$/i,
  /\b(?:omitted|elided|truncated|snipped) for brevity\b/i,
  /^(?:code|lines|implementation|content|body) (?:omitted|elided|truncated|snipped)$/i,
];

function unwrap(text: string): { inner: string; comment: boolean } {
  let inner = text.trim();
  const open = COMMENT_OPEN.exec(inner);
  const comment = open !== null;
  if (open !== null) inner = inner.slice(open[0].length).replace(COMMENT_CLOSE, '');
  inner = inner.trim().replace(/^[([{]\s*(.*?)\s*[)\]}]$/, '$1').replace(/(?<![.\s])[.:;]$/, '').trim();
  return { inner, comment };
}

/**
 * Whether a line is, on its own, a marker that code was left out. Only whole lines count: code
 * that contains `...` (spread syntax, `x: int = ...`) never does, nor does a line that spreads an
 * expression (`...rest,`, `{...props}`, `[...xs]`, `...(c ? x : y),`). A bare `...` right under a
 * line ending in `:` is Python's Ellipsis as a block body (type stubs, protocols) and is code.
 */
export function isElision(line: string, previous: string | undefined): boolean {
  const trimmed = line.trim();
  if (trimmed === '') return false;
  if (/^\.\.\.\s*(?:#.*)?$/.test(trimmed) && previous !== undefined && /:\s*(?:#.*)?$/.test(previous) && indent(line) > indent(previous)) return false;
  const { inner, comment } = unwrap(trimmed);
  if (inner === '') return false;
  if (DOTS_ONLY.test(inner)) return true;
  const bracketed = /^[([{].*[)\]}]$/.test(trimmed);
  const leading = LEADING_DOTS.exec(inner);
  if (leading !== null) return afterDots(inner.slice(leading[0].length), comment || leading[0].startsWith('…'));
  if (!comment && !bracketed) return false; // prose or code, not a marker
  if (TRAILING_DOTS.test(inner)) return STRONG_WORDS.test(inner);
  return PHRASES.some((p) => p.test(inner));
}

/**
 * Whether what follows a leading ellipsis says code was left out. Outside a comment, `...` glued to
 * what follows is the spread of an expression unless that is prose: two words or more, separated by
 * spaces, with no code punctuation ("...rest of the code unchanged", not "...rest," or "...obj.prop").
 */
function afterDots(after: string, notCode: boolean): boolean {
  if (/^\s+(?:#|\/\/)/.test(after)) return true; // `...  # anything`: the ellipsis stands alone, with a comment
  const glued = !notCode && !/^\s/.test(after);
  const text = after.trim().replace(/\s*(?:\.{2,}|…+)$/, '').replace(/[.:!]$/, '');
  if (glued) return /^[a-z][a-z'-]*(?: [a-z][a-z'-]*)+$/i.test(text) && ELISION_WORDS.test(text);
  // Parentheses or brackets around words are prose ("... (omitted for brevity)"), not a call.
  const words = text.replace(/(^|\s)[([]([^()[\]]*)[)\]](?=$|[\s,.:;])/g, '$1$2');
  return /^[\p{L}\d][\p{L}\d'’-]*(?:[,:;]?\s+[\p{L}\d'’-]+)*$/u.test(words) && ELISION_WORDS.test(words);
}

const indent = (line: string): number => /^[ \t]*/.exec(line)![0].length;

/**
 * The elision lines of `lines` (0-based indices) that `kept` does not already have: a line the
 * original itself contains (a seed's "# ..." comment, a stub's Ellipsis) is content, not an elision.
 */
export function findElisions(lines: string[], kept: readonly string[]): number[] {
  const existing = new Set(kept.map((l) => l.trim()));
  const found: number[] = [];
  let previous: string | undefined;
  lines.forEach((line, i) => {
    if (!existing.has(line.trim()) && isElision(line, previous)) found.push(i);
    if (line.trim() !== '') previous = line;
  });
  return found;
}
