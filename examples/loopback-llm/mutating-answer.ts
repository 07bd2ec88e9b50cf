// Composes the stand-in LLM's answer to an edit prompt: a few numeric literals of the parent's first file, changed, as SEARCH/REPLACE blocks or a whole file.
import { createHash } from 'node:crypto';
import { editNumericLiterals, prngFromDigest } from './numeric-literals.js';

/** One chat message as it arrives; `content` is a string or an array of content parts. */
export interface ChatMessage { role: string; content: unknown }

/** The fields of a chat request that decide the answer. */
export interface AnswerRequest {
  model: string;
  /** 0 to 2; scales how far decimals move. */
  temperature: number;
  /** The request's `seed`, or null when it sent none. */
  seed: number | null;
  messages: ChatMessage[];
}

export const DEFAULT_TEMPERATURE = 0.7;
export const NO_FILES_ANSWER = 'No files were given.';
/** How a follow-up says the previous answer failed; the second is the wording of the engine's repairMessage(). */
const REPAIR_REQUEST = /did not apply|could not be applied/i;

/** The text of a message: its string content, or its text parts joined (image and audio parts carry no text). */
export function messageText(message: ChatMessage): string {
  if (typeof message.content === 'string') return message.content;
  if (!Array.isArray(message.content)) return '';
  return message.content
    .map((part: unknown) => (typeof part === 'object' && part !== null && typeof (part as { text?: unknown }).text === 'string' ? (part as { text: string }).text : ''))
    .join('');
}

interface FileBlock { path: string; content: string }

// The engine writes `<file path="p">\n<content>\n</file>`; the newline after the content belongs to the wrapper, not the file.
const FILE_BLOCK = /<file path="([^"\n]+)">\r?\n?([\s\S]*?)<\/file>/;

function firstFileBlock(text: string): FileBlock | undefined {
  const match = FILE_BLOCK.exec(text);
  if (match === null) return undefined;
  return { path: match[1]!, content: match[2]!.replace(/\r?\n$/, '') };
}

/** Everything the answer depends on, hashed, so the same request gives the same answer and a different seed a different one. */
function requestDigest(request: AnswerRequest): Buffer {
  const texts = request.messages.map((message) => [message.role, messageText(message)]);
  return createHash('sha256').update(JSON.stringify([request.seed, request.model, request.temperature, texts])).digest();
}

/**
 * The answer to a chat request. The parent is the first file block of the last user message; when that message says
 * an earlier answer "did not apply" or "could not be applied" (a repair request), it is the first file block of the
 * first user message instead.
 * The answer is SEARCH/REPLACE blocks when any message shows that format, else the whole file.
 */
export function composeAnswer(request: AnswerRequest): string {
  const userTexts = request.messages.filter((message) => message.role === 'user').map(messageText);
  const last = userTexts.at(-1) ?? '';
  const source = REPAIR_REQUEST.test(last) ? userTexts[0]! : last;
  const file = firstFileBlock(source);
  if (file === undefined) return NO_FILES_ANSWER;

  const rng = prngFromDigest(requestDigest(request));
  const { lines, edits } = editNumericLiterals(file.content, rng, request.temperature);
  if (edits.length === 0) return `${file.path} has no numeric constant I can change, so I left it as it is.`;

  const changes = edits.flatMap((edit) => edit.changes);
  const explanation = `Tuned ${changes.length === 1 ? 'one numeric constant' : `${changes.length} numeric constants`} in ${file.path}: `
    + `${changes.map((change) => `${change.from} -> ${change.to}`).join(', ')}.`;
  const wantsDiff = request.messages.some((message) => messageText(message).includes('<<<<<<< SEARCH'));
  if (!wantsDiff) return `${explanation}\n\n<file path="${file.path}">\n${lines.join('\n')}\n</file>`;
  const blocks = edits.map((edit) => `<<<<<<< SEARCH ${file.path}\n${edit.before}\n=======\n${edit.after}\n>>>>>>> REPLACE`);
  return `${explanation}\n\n${blocks.join('\n\n')}`;
}
