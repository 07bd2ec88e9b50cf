// A loopback LLM whose answers get better when the prompt says so: on the dial problem it raises the level by
// 4 to 6 when the prompt contains TURN IT UP, else moves it by 1 either way. As the meta-operator of prompt
// evolution it adds that instruction to the best template it is shown (in the manners of real models: think
// tags, fences, a line of prose; one answer in five drops {{files}}, one in seven is cut off). Every answer is
// a function of the request alone, so a run is reproducible.
import type { Behaviour } from './openai-loopback-server.js';

type Body = { seed?: number; max_tokens?: number; messages: Array<{ role: string; content: string }> };
export const MAGIC = 'TURN IT UP';

export function promptSensitiveAnswer(body: Body): Behaviour {
  const seed = body.seed ?? 0;
  const system = body.messages.find((m) => m.role === 'system')?.content ?? '';
  const user = body.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n');
  if (system.startsWith('You improve the instructions')) return breed(user, seed);
  const level = /<file path="dial\.txt">\r?\nlevel = (-?\d+)/.exec(user);
  if (level === null) return { answer: 'I do not see dial.txt.' };
  const from = Number(level[1]);
  const bold = `${system}\n${user}`.includes(MAGIC);
  const to = bold ? from + 4 + (seed % 3) : from + (seed % 2 === 0 ? 1 : -1);
  const edit = `<<<<<<< SEARCH dial.txt\nlevel = ${from}\n=======\nlevel = ${to}\n>>>>>>> REPLACE`;
  return { answer: seed % 3 === 0 ? `<think>\nThe level is ${from}; I will set ${to}.\n</think>\nSet the level to ${to}.\n\n${edit}` : `Set the level to ${to}.\n\n${edit}` };
}

function breed(user: string, seed: number): Behaviour {
  const start = user.indexOf('<template>\n');
  const template = user.slice(start + '<template>\n'.length, user.indexOf('\n</template>', start));
  const systemStart = user.indexOf('<system>\n');
  const system = user.slice(systemStart + '<system>\n'.length, user.indexOf('\n</system>', systemStart));
  if (seed % 7 === 0) return { answer: `Added a line.\n<system>\n${system}\n</system>\n<template>\n${template}\nAlso`, finishReason: 'length' };
  const next = template.includes(MAGIC) ? `${template}\nKeep each change small and exact.` : `${template}\n${MAGIC}: raise the level boldly.`;
  const broken = seed % 5 === 0 ? next.replace('{{files}}', '(the files)') : next;
  const answer = `<think>\nThe best prompt could be more direct about what scores.\n</think>\nMade the instructions more direct.\n\n\`\`\`xml\n<system>\n${system}\n</system>\n<template>\n${broken}\n</template>\n\`\`\``;
  return { answer };
}
