// Separates the reasoning sections reasoning models write (<think>…</think> and kin) from the answer that gets parsed.
import { FILE_TAG, REPLACE_LINE, SEARCH_LINE } from './edit-text.js';

export interface ReasoningSplit {
  /** The answer with every reasoning section removed: the only text the edit parsers see. */
  answer: string;
  /** Each section's text without its tags, in order: kept for the record, never parsed, never quoted. */
  reasoning: string[];
  /** The opening tag of a section that is never closed (all that follows it is reasoning), if any. */
  unclosed?: string;
}

interface Opener { length: number; tag: string; close: RegExp }

const TAG_NAMES = 'think|thinking|reasoning|thought';
/**
 * The wrappers known: XML-like tags (Qwen, DeepSeek, most open models; any case, attributes
 * allowed), Open-Thoughts' <|begin_of_thought|>, Magistral's [THINK], Kimi's ◁think▷ and the
 * analysis channel of gpt-oss's harmony format.
 */
const OPENERS: Array<{ open: RegExp; close: (m: RegExpExecArray) => RegExp }> = [
  { open: new RegExp(`^<\\s*(${TAG_NAMES})(?:\\s[^>]*)?>`, 'i'), close: (m) => new RegExp(`<\\s*/\\s*${m[1]}\\s*>`, 'i') },
  { open: /^<\|begin_of_thought\|>/, close: () => /<\|end_of_thought\|>/ },
  { open: /^\[THINK\]/i, close: () => /\[\/THINK\]/i },
  { open: /^◁think▷/, close: () => /◁\/think▷/ },
  { open: /^(?:<\|start\|>assistant)?<\|channel\|>analysis<\|message\|>/, close: () => /<\|end\|>/ },
];
const ANY_OPEN = new RegExp(`<\\s*(?:${TAG_NAMES})(?:\\s[^>]*)?>|<\\|begin_of_thought\\|>|\\[THINK\\]|◁think▷`, 'i');
const ANY_CLOSE = new RegExp(`<\\s*/\\s*(?:${TAG_NAMES})\\s*>|<\\|end_of_thought\\|>|\\[/THINK\\]|◁/think▷`, 'i');
/** Tokens that frame the final answer in those formats; outside edits they are noise. */
const FRAMING = /<\|(?:begin_of_solution|end_of_solution|return|end)\|>|(?:<\|start\|>assistant)?<\|channel\|>final<\|message\|>/g;

function openerAt(line: string): Opener | undefined {
  const indent = /^[ \t]*/.exec(line)![0].length;
  for (const { open, close } of OPENERS) {
    const m = open.exec(line.slice(indent));
    if (m !== null) return { length: indent + m[0].length, tag: m[0], close: close(m) };
  }
  return undefined;
}

type State = 'outside' | 'block' | 'file';

/** Where a line leaves the scan: inside an edit block, inside a <file> body, or outside both. */
function next(state: State, line: string): State {
  if (state === 'outside') return SEARCH_LINE.test(line) ? 'block' : FILE_TAG.test(line) && !line.includes('</file>') ? 'file' : 'outside';
  return (state === 'block' ? REPLACE_LINE.test(line) : line.includes('</file>')) ? 'outside' : state;
}

/**
 * A closing tag with no opening tag before it: DeepSeek-R1-style chat templates put the opening
 * <think> in the prompt, so the answer is reasoning up to the first `</think>`. Only a tag that
 * starts or ends its line, outside any edit block or <file> body, counts: prose mentioning the tag
 * inline, or a file whose content has such a line, is left alone.
 */
function orphanClose(text: string): { start: number; end: number } | undefined {
  const m = ANY_CLOSE.exec(text);
  if (m === null || ANY_OPEN.test(text.slice(0, m.index))) return undefined;
  const end = m.index + m[0].length;
  const lineStart = text.lastIndexOf('\n', m.index - 1) + 1;
  const atStart = text.slice(lineStart, m.index).trim() === '';
  const atEnd = /^[ \t]*(?:\r?\n|$)/.test(text.slice(end));
  const state = text.slice(0, lineStart).split('\n').reduce<State>((s, line) => next(s, line.replace(/\r$/, '')), 'outside');
  return (atStart || atEnd) && state === 'outside' ? { start: m.index, end } : undefined;
}

/**
 * Removes reasoning sections before parsing. A section opens with a wrapper at the start of a line
 * that is outside any edit block or <file> body (so a file that itself contains `<think>` lines can
 * still be edited) and runs to its closing tag, or to the end of the answer when never closed.
 * Edit blocks drafted inside a section are part of it and are never applied.
 */
export function splitReasoning(text: string): ReasoningSplit {
  const reasoning: string[] = [];
  let rest = text;
  const orphan = orphanClose(text);
  if (orphan !== undefined) {
    reasoning.push(text.slice(0, orphan.start));
    rest = text.slice(orphan.end);
  }
  let out = '';
  let state: State = 'outside';
  for (let pos = 0; pos < rest.length;) {
    const nl = rest.indexOf('\n', pos);
    const end = nl < 0 ? rest.length : nl + 1;
    const line = rest.slice(pos, end);
    const bare = line.replace(/\r?\n$/, '');
    if (state === 'outside') {
      const opener = openerAt(bare);
      if (opener !== undefined) {
        const from = pos + opener.length;
        const close = opener.close.exec(rest.slice(from));
        if (close === null) {
          reasoning.push(rest.slice(from));
          return { answer: tidy(out), reasoning, unclosed: opener.tag };
        }
        reasoning.push(rest.slice(from, from + close.index));
        pos = from + close.index + close[0].length;
        pos += /^[ \t]*(?:\r?\n)?/.exec(rest.slice(pos))![0].length; // the closing tag's own line end
        continue;
      }
      out += line.replace(FRAMING, '');
    } else {
      out += line;
    }
    state = next(state, bare);
    pos = end;
  }
  return { answer: tidy(out), reasoning };
}

/** Drops the blank lines a removed section leaves at the top. */
const tidy = (text: string): string => text.replace(/^(?:[ \t]*\r?\n)+/, '');

/** How many SEARCH/REPLACE blocks or <file> tags were drafted inside reasoning sections. */
export function draftedEdits(reasoning: string[]): number {
  let count = 0;
  for (const section of reasoning) {
    for (const line of section.split(/\r?\n/)) if (SEARCH_LINE.test(line) || FILE_TAG.test(line)) count++;
  }
  return count;
}
