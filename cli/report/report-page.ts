// The report page: one self-contained HTML document (its script, style and data inline), static or live.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ReportData } from '../../engine/output/report-data.js';

/** The page's script and style live beside this module's source (dist/ reads them from the source tree). */
const assets = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../cli/report/' : './', import.meta.url));

/** JSON that is safe inside <script>: no "</script>", no "<!--", no line separators that end a JS string. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * The whole page. Without `live` it opens offline from a file (no CDN, no network). With `live`, the
 * page polls `live.url` (the server's data.json) every `live.intervalMs` and redraws when the run moved.
 */
export function reportPage(data: ReportData, live?: { url: string; intervalMs: number }): string {
  const script = readFileSync(`${assets}report.client.js`, 'utf8');
  const style = readFileSync(`${assets}report.css`, 'utf8');
  const title = `Ouroboros report: ${data.run.problem}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:;${live ? " connect-src 'self';" : ''}">
<title>${escapeHtml(title)}</title>
<style>${style}</style>
</head>
<body>
<header><span id="live"></span><h1 id="title"></h1><div class="meta" id="meta"></div></header>
<main>
<section class="wide"><div class="figures" id="figures"></div></section>
<section><h2>Archive</h2><div class="controls" id="heatmap-controls"></div><div id="heatmap-host"></div><p class="note" id="heatmap-note"></p></section>
<section><h2>Over iterations</h2><div id="curves-host"></div><p class="note" id="curves-note"></p></section>
<section class="wide"><h2>Operators</h2><div class="scroll" id="operators-host"></div></section>
<section><h2>Arms</h2><div class="scroll" id="arms-host"></div></section>
<section><h2>Evaluation outcomes</h2><div id="outcomes-host"></div></section>
<section class="wide"><h2>Lineage of the best variant</h2><div id="lineage-host"></div></section>
<section><h2>LLM tokens and cost</h2><div id="llm-host"></div></section>
<section class="wide" id="queue-section" hidden><h2>Queue and remote workers</h2><div class="scroll" id="queue-host"></div></section>
<section class="wide" id="tune-section" hidden><h2>Held-out comparison (tune run)</h2><div class="scroll" id="tune-host"></div></section>
<section class="wide"><h2>Elites</h2><div class="scroll" id="elites-host"></div></section>
</main>
<script id="report-data" type="application/json">${scriptJson(data)}</script>
${live ? `<script>window.OUROBOROS_LIVE = ${scriptJson(live)};</script>` : ''}
<script>${script}</script>
</body>
</html>
`;
}
