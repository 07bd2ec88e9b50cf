// Live progress: a status line rewritten in place on a terminal, plain periodic lines otherwise.
import type { Progress } from '../engine/loop/search-engine.js';

export function formatProgress(p: Progress): string {
  const total = p.budget.iterations !== undefined ? `/${p.budget.iterations}` : '';
  const best = p.bestFitness === null ? '-' : p.bestFitness.toPrecision(5);
  return `iteration ${p.iterations}${total}  evals ${p.evaluations} (${p.evaluationsPerSecond.toFixed(1)}/s)  ` +
    `coverage ${(p.coverage * 100).toFixed(1)}% (${p.filledCells} cells)  QD ${p.qdScore.toPrecision(5)}  best ${best}  in flight ${p.inFlight}` +
    (p.llm.calls > 0 ? `  LLM ${p.llm.calls} calls, ${compact(p.llm.tokens)} tokens, $${p.llm.cost.toFixed(p.llm.cost < 10 ? 3 : 2)}` : '');
}

function compact(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(0)}k` : String(n);
}

/** Throttled writer: at most every `intervalMs` (200 ms on a TTY, 5 s otherwise); silent when quiet. */
export class ProgressReporter {
  private last = 0;
  private latest: Progress | null = null;
  private readonly tty: boolean;
  private readonly intervalMs: number;
  private lineOpen = false;

  constructor(private readonly stream: NodeJS.WriteStream, private readonly quiet: boolean) {
    this.tty = Boolean(stream.isTTY);
    this.intervalMs = this.tty ? 200 : 5000;
  }

  update(p: Progress): void {
    this.latest = p;
    if (this.quiet) return;
    const now = Date.now();
    if (now - this.last < this.intervalMs) return;
    this.last = now;
    this.write(p);
  }

  /** Writes the last state and ends the status line, before any other output. */
  finish(): void {
    if (!this.quiet && this.latest !== null) this.write(this.latest);
    if (this.lineOpen) this.stream.write('\n');
    this.lineOpen = false;
  }

  /** Prints a message without garbling the status line. */
  message(text: string): void {
    if (this.lineOpen) { this.stream.write('\n'); this.lineOpen = false; }
    this.stream.write(text + '\n');
  }

  private write(p: Progress): void {
    const line = formatProgress(p);
    if (this.tty) {
      const width = this.stream.columns ?? 120;
      this.stream.write(`\r\x1b[2K${line.slice(0, width - 1)}`);
      this.lineOpen = true;
    } else {
      this.stream.write(line + '\n');
    }
  }
}
