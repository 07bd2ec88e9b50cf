// The report's page script: draws a run's data (engine/output/report-data.ts) as SVG. Runs in the browser, offline:
// no library, no network but the live dashboard's own `data.json`. Every string from the run goes in as text.
(function () {
  'use strict';
  const SVG = 'http://www.w3.org/2000/svg';
  const live = window.OUROBOROS_LIVE || null;
  let data = JSON.parse(document.getElementById('report-data').textContent);
  const view = { x: 0, y: 1 };

  function el(tag, attrs, children) {
    const node = tag.startsWith('svg:') ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
    for (const c of [].concat(children === undefined || children === null ? [] : children)) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }
  function num(x, digits = 4) {
    if (x === null || x === undefined || Number.isNaN(x)) return '-';
    return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(digits)));
  }
  // A loop, not Math.min(...xs): spreading hundreds of thousands of values overflows the stack.
  function extent(xs) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of xs) { if (x < lo) lo = x; if (x > hi) hi = x; }
    return [lo, hi];
  }
  function pct(x) { return `${(x * 100).toFixed(1)}%`; }
  // Viridis, sampled at 9 stops and interpolated linearly.
  const STOPS = [[68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141], [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37]];
  function colour(t) {
    const x = Math.min(1, Math.max(0, t)) * (STOPS.length - 1);
    const i = Math.min(STOPS.length - 2, Math.floor(x));
    const f = x - i;
    const c = STOPS[i].map((v, k) => Math.round(v + (STOPS[i + 1][k] - v) * f));
    return `rgb(${c[0]},${c[1]},${c[2]})`;
  }
  const tooltip = el('div', { id: 'tooltip' });
  document.body.append(tooltip);
  function hover(node, text) {
    node.addEventListener('mousemove', (e) => { tooltip.textContent = text; tooltip.style.display = 'block'; tooltip.style.left = `${e.clientX + 12}px`; tooltip.style.top = `${e.clientY + 12}px`; });
    node.addEventListener('mouseleave', () => { tooltip.style.display = 'none'; });
  }
  function eliteLink(id) { return live ? `variant/${encodeURIComponent(id)}` : `#elite-${id}`; }
  function descriptorText(d, v) { return d && d.values ? JSON.stringify(d.values[v]) : num(v); }

  // ---- header and figures
  function renderHeader() {
    const r = data.run;
    document.getElementById('title').textContent = `${r.problem}: ${data.archive.kind} archive`;
    document.getElementById('meta').textContent = `${r.db} · ${r.status} · ${r.iterations} iterations · seed ${r.seed} · ouroboros ${r.engineVersion} · ${(r.elapsedMs / 1000).toFixed(1)} s of search`;
    const s = data.archive.stats;
    const figures = [
      ['best fitness', num(s.bestFitness, 6)], ['seed fitness', num(data.seedFitness, 6)], ['filled cells', `${s.filledCells} / ${s.totalCells}`],
      ['coverage', pct(s.coverage)], ['QD score', num(s.qdScore, 6)], ['mean fitness', num(s.meanFitness, 6)], ['islands', data.archive.islands],
    ];
    document.getElementById('figures').replaceChildren(...figures.map(([k, v]) => el('div', { class: 'figure' }, [el('b', {}, v), el('span', {}, k)])));
  }

  // ---- heatmap
  function gridBins(layout) { return layout.dimensions.map((d) => (d.values ? d.values.length : d.bins)); }
  function binsOf(cell, bins) {
    const out = new Array(bins.length);
    for (let k = bins.length - 1; k >= 0; k--) { out[k] = cell % bins[k]; cell = Math.floor(cell / bins[k]); }
    return out;
  }
  function renderHeatmap() {
    const host = document.getElementById('heatmap-host');
    const layout = data.archive.layout;
    const names = data.archive.descriptors.map((d) => d.name);
    const controls = document.getElementById('heatmap-controls');
    if (names.length > 2 && controls.childElementCount === 0) {
      for (const axis of ['x', 'y']) {
        const select = el('select', { id: `axis-${axis}` }, names.map((n, k) => el('option', { value: k }, n)));
        select.value = String(view[axis]);
        select.addEventListener('change', () => { view[axis] = Number(select.value); renderHeatmap(); });
        controls.append(`${axis} axis`, select);
      }
    }
    const elites = data.archive.elites;
    const [lo, hi] = extent(elites.map((e) => e.fitness));
    const shade = (f) => colour(hi > lo ? (f - lo) / (hi - lo) : 1);
    const W = 560;
    const H = 420;
    const pad = { l: 56, r: 12, t: 10, b: 44 };
    const svg = el('svg:svg', { id: 'heatmap', viewBox: `0 0 ${W} ${H}`, width: W, height: H, 'data-elites': elites.length });
    const xDim = view.x;
    const yDim = names.length > 1 ? view.y : null;
    const iw = W - pad.l - pad.r;
    const ih = H - pad.t - pad.b;
    const text = (e) => `${e.variantId}\nfitness ${num(e.fitness, 6)}\n${data.archive.descriptors.map((d, k) => `${d.name} = ${descriptorText(d, e.descriptors[k])}`).join('\n')}\ncell ${e.cell}, island ${e.island}\n${e.operator} at iteration ${e.iteration}`;
    let drawn = 0;
    if (layout.kind === 'grid') {
      const bins = gridBins(layout);
      const nx = bins[xDim];
      const ny = yDim === null ? 1 : bins[yDim];
      // With more than two descriptors each square shows the best elite of the cells projected onto it.
      const squares = new Map();
      for (const e of elites) {
        const b = binsOf(e.cell, bins);
        const key = `${b[xDim]},${yDim === null ? 0 : b[yDim]}`;
        const held = squares.get(key);
        if (held === undefined || e.fitness > held.fitness) squares.set(key, { ...e, bx: b[xDim], by: yDim === null ? 0 : b[yDim] });
      }
      const cw = iw / nx;
      const ch = ih / ny;
      for (const e of squares.values()) {
        const rect = el('svg:rect', { class: 'cell', x: pad.l + e.bx * cw, y: pad.t + (ny - 1 - e.by) * ch, width: cw, height: ch, fill: shade(e.fitness), 'data-variant': e.variantId, 'data-cell': e.cell });
        hover(rect, text(e));
        svg.append(el('svg:a', { href: eliteLink(e.variantId) }, rect));
        drawn++;
      }
      axisLabels(svg, layout.dimensions[xDim], yDim === null ? null : layout.dimensions[yDim], pad, iw, ih, W, H);
    } else {
      const ranges = layout.ranges;
      const sx = (v) => pad.l + ((v - ranges[xDim].min) / (ranges[xDim].max - ranges[xDim].min)) * iw;
      const sy = (v) => (yDim === null ? pad.t + ih / 2 : pad.t + ih - ((v - ranges[yDim].min) / (ranges[yDim].max - ranges[yDim].min)) * ih);
      const filled = new Set(elites.map((e) => e.cell));
      layout.centroids.forEach((c, k) => { if (!filled.has(k)) svg.append(el('svg:circle', { class: 'empty', cx: sx(c[xDim]), cy: sy(yDim === null ? 0 : c[yDim]), r: 2 })); });
      const radius = Math.max(2.5, Math.min(9, 300 / Math.sqrt(layout.centroids.length)));
      for (const e of elites) {
        const c = layout.centroids[e.cell];
        const dot = el('svg:circle', { class: 'cell', cx: sx(c[xDim]), cy: sy(yDim === null ? 0 : c[yDim]), r: radius, fill: shade(e.fitness), 'data-variant': e.variantId, 'data-cell': e.cell });
        hover(dot, text(e));
        svg.append(el('svg:a', { href: eliteLink(e.variantId) }, dot));
        drawn++;
      }
      const asDim = (r) => ({ name: r.name, min: r.min, max: r.max });
      axisLabels(svg, asDim(ranges[xDim]), yDim === null ? null : asDim(ranges[yDim]), pad, iw, ih, W, H);
    }
    svg.setAttribute('data-drawn', drawn);
    const note = document.getElementById('heatmap-note');
    note.textContent = layout.kind === 'grid' && names.length > 2
      ? `${drawn} squares: each shows the best of the elites whose cells project onto it (${elites.length} elites in all)`
      : layout.kind === 'grid' ? `${drawn} cells drawn, one per elite (union of the islands: per cell the best of any island)` : `${drawn} of ${layout.centroids.length} centroids hold an elite (filled circles); hollow: empty`;
    const legend = el('div', { class: 'legend' }, [num(lo, 5), el('div', { class: 'bar', style: `background: linear-gradient(90deg, ${STOPS.map((c) => `rgb(${c})`).join(',')})` }), num(hi, 5), ' fitness']);
    host.replaceChildren(svg, legend);
  }
  function axisLabels(svg, dx, dy, pad, iw, ih, W, H) {
    svg.append(el('svg:line', { class: 'axis', x1: pad.l, y1: pad.t + ih, x2: pad.l + iw, y2: pad.t + ih }));
    svg.append(el('svg:line', { class: 'axis', x1: pad.l, y1: pad.t, x2: pad.l, y2: pad.t + ih }));
    const ends = (d) => (d.values ? [JSON.stringify(d.values[0]), JSON.stringify(d.values[d.values.length - 1])] : [num(d.min), num(d.max)]);
    const [x0, x1] = ends(dx);
    svg.append(el('svg:text', { x: pad.l, y: H - 26 }, x0), el('svg:text', { x: pad.l + iw, y: H - 26, 'text-anchor': 'end' }, x1), el('svg:text', { x: pad.l + iw / 2, y: H - 8, 'text-anchor': 'middle' }, dx.name));
    if (dy) {
      const [y0, y1] = ends(dy);
      svg.append(el('svg:text', { x: pad.l - 4, y: pad.t + ih, 'text-anchor': 'end' }, y0), el('svg:text', { x: pad.l - 4, y: pad.t + 10, 'text-anchor': 'end' }, y1));
      svg.append(el('svg:text', { x: 12, y: pad.t + ih / 2, transform: `rotate(-90 12 ${pad.t + ih / 2})`, 'text-anchor': 'middle' }, dy.name));
    }
  }

  // ---- line charts
  const PALETTE = ['#3b5bdb', '#e8590c', '#2b8a3e', '#ae3ec9', '#c92a2a', '#1098ad', '#f08c00', '#5f3dc4'];
  function lineChart(id, title, series, format) {
    const W = 420;
    const H = 180;
    const pad = { l: 56, r: 10, t: 18, b: 24 };
    const svg = el('svg:svg', { id, viewBox: `0 0 ${W} ${H}`, width: W, height: H });
    const all = series.flatMap((s) => s.points);
    svg.append(el('svg:text', { x: pad.l, y: 12 }, title));
    if (all.length === 0) { svg.append(el('svg:text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'nothing stored yet')); return svg; }
    const [x0, x1] = extent(all.map((p) => p[0]));
    let [y0, y1] = extent(all.map((p) => p[1]));
    if (y0 === y1) { y0 -= 1; y1 += 1; }
    const sx = (x) => pad.l + (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5) * (W - pad.l - pad.r);
    const sy = (y) => pad.t + (1 - (y - y0) / (y1 - y0)) * (H - pad.t - pad.b);
    svg.append(el('svg:line', { class: 'axis', x1: pad.l, y1: H - pad.b, x2: W - pad.r, y2: H - pad.b }), el('svg:line', { class: 'axis', x1: pad.l, y1: pad.t, x2: pad.l, y2: H - pad.b }));
    svg.append(el('svg:text', { x: pad.l - 4, y: pad.t + 4, 'text-anchor': 'end' }, format(y1)), el('svg:text', { x: pad.l - 4, y: H - pad.b, 'text-anchor': 'end' }, format(y0)));
    svg.append(el('svg:text', { x: pad.l, y: H - 6 }, `it ${x0}`), el('svg:text', { x: W - pad.r, y: H - 6, 'text-anchor': 'end' }, `it ${x1}`));
    series.forEach((s, k) => {
      const line = el('svg:polyline', { class: `series ${s.kind}`, stroke: s.colour || PALETTE[k % PALETTE.length], points: s.points.map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(' '), 'data-count': s.points.length, 'data-series': s.name });
      line.append(el('svg:title', {}, s.name));
      svg.append(line);
    });
    return svg;
  }
  function renderCurves() {
    const { overall, islands } = data.curves;
    const metric = (rows, key) => rows.filter((r) => r[key] !== null).map((r) => [r.iteration, r[key]]);
    const charts = [['curve-best', 'best fitness', 'bestFitness', num], ['curve-mean', 'mean fitness', 'meanFitness', num], ['curve-coverage', 'coverage', 'coverage', pct], ['curve-qd', 'QD score', 'qdScore', num]];
    const host = document.getElementById('curves-host');
    host.replaceChildren(...charts.map(([id, title, key, format]) => lineChart(id, title, [
      { name: 'all islands', kind: 'overall', colour: '#1d2330', points: metric(overall, key) },
      ...(islands.length > 1 ? islands.map((rows, k) => ({ name: `island ${k}`, kind: 'island', points: metric(rows, key) })) : []),
    ], format)));
    document.getElementById('curves-note').textContent = `${overall.length} stored points (every archive.metricsInterval iterations); thin lines: each island`;
    const llm = data.llm.points;
    const llmHost = document.getElementById('llm-host');
    if (llm.length === 0) { llmHost.replaceChildren(el('p', { class: 'note' }, 'No LLM calls in this run.')); return; }
    llmHost.replaceChildren(
      lineChart('llm-tokens', 'LLM tokens (cumulative)', [{ name: 'tokens', kind: 'overall', points: llm.map((p) => [p.iteration, p.tokens]) }], num),
      lineChart('llm-cost', 'LLM cost, USD (cumulative)', [{ name: 'cost', kind: 'overall', colour: '#e8590c', points: llm.map((p) => [p.iteration, p.cost]) }], (x) => `$${num(x, 3)}`),
      el('p', { class: 'note' }, `${data.llm.ledger.calls} calls, ${data.llm.ledger.tokensIn + data.llm.ledger.tokensOut} tokens, $${num(data.llm.ledger.cost, 4)}; by outcome: ${Object.entries(data.llm.ledger.byOutcome).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`),
    );
  }

  // ---- tables
  function table(id, head, rows) {
    return el('table', { id }, [el('thead', {}, el('tr', {}, head.map((h) => el('th', {}, h)))), el('tbody', {}, rows.map((r) => el('tr', r.attrs || {}, r.cells.map((c, k) => el('td', k === 0 && r.idCell ? { class: 'id' } : {}, c)))))]);
  }
  function renderTables() {
    document.getElementById('operators-host').replaceChildren(table('operators', ['operator', 'uses', 'failed', 'children', 'eval failed', 'new cells', 'improved', 'success', 'improvement credited', 'LLM calls', 'tokens', 'cost'],
      data.operators.map((o) => ({ cells: [o.operator, o.uses, o.failures, o.children, o.evaluationFailures, o.newCells, o.improvements, pct(o.successRate), num(o.improvementCredited), o.llmCalls, o.tokens, `$${num(o.cost, 3)}`] }))));
    const arms = data.arms || [];
    document.getElementById('arms-host').replaceChildren(
      el('p', { class: 'note' }, `arms chosen by ${data.operatorChoice.policy}`),
      table('arms', ['arm', 'pulls', 'weight', 'mean reward', 'score'], arms.map((a) => ({ cells: [a.label, a.pulls, num(a.weight), num(a.mean), num(a.score)] }))));
    const o = data.outcomes;
    const rows = [
      ...Object.entries(o.evaluationsByStatus).map(([k, v]) => ({ cells: [`evaluation ${k}`, v] })),
      ...Object.entries(o.failuresByReason).map(([k, v]) => ({ cells: [`  reason: ${k}`, v] })),
      { cells: ['rejected before evaluation (duplicate of a stored variant)', o.rejectedBeforeEvaluation] },
      { cells: ['operator made no child', o.operatorFailures] },
    ];
    document.getElementById('outcomes-host').replaceChildren(table('outcomes', ['outcome', 'count'], rows));
    const elites = [...data.archive.elites].sort((a, b) => b.fitness - a.fitness);
    const hasParams = elites.some((e) => e.params);
    document.getElementById('elites-host').replaceChildren(table('elites', ['variant', 'fitness', ...data.archive.descriptors.map((d) => d.name), 'cell', 'island', 'operator', 'iteration', ...(hasParams ? ['params'] : [])],
      elites.map((e) => ({ idCell: true, attrs: { id: `elite-${e.variantId}` }, cells: [live ? el('a', { href: eliteLink(e.variantId) }, e.variantId) : e.variantId, num(e.fitness, 6), ...data.archive.descriptors.map((d, k) => descriptorText(d, e.descriptors[k])), e.cell, e.island, e.operator, e.iteration, ...(hasParams ? [el('span', { class: 'params' }, settingsText(e.params))] : [])] }))));
    renderTune();
  }
  function settingsText(values) {
    if (!values) return '';
    const text = Object.entries(values).map(([k, v]) => `${k}=${typeof v === 'number' ? num(v) : JSON.stringify(v)}`).join(' ');
    return text.length > 400 ? `${text.slice(0, 397)}...` : text;
  }
  function renderTune() {
    const section = document.getElementById('tune-section');
    const t = data.tune;
    section.hidden = !t;
    if (!t) return;
    const rows = t.configs.flatMap((c) => c.heldOut.map((h, k) => ({ cells: [
      k === 0 ? `#${c.rank} ${c.variantId}` : '', k === 0 ? num(c.trainingScore) : '', h.problem, `${num(h.meanRatio, 3)}x`,
      `[${num(h.interval[0], 3)}, ${num(h.interval[1], 3)}]`, `${h.wins}/${h.base.length}`, k === 0 ? settingsText(c.values) : ''] })));
    document.getElementById('tune-host').replaceChildren(
      el('p', { class: 'note' }, `${t.metric}, ${t.seeds.length} fresh seeds per held-out problem, paired with the base config; ratio = tuned / base with its bootstrap 95% interval. ${t.verdict}. Tuned config: ${t.tunedFile}`),
      table('tune', ['config', 'training score', 'held-out problem', 'ratio', '95% interval', 'wins', 'settings'], rows));
  }
  function renderQueue() {
    const q = data.queue;
    document.getElementById('queue-section').hidden = !q;
    if (!q) return;
    document.getElementById('queue-host').replaceChildren(
      el('p', { class: 'note' }, `queue "${q.name}" at ${q.url}, as of ${q.at}: ${q.waiting} waiting, ${q.active} active, ${q.inFlight} of this run in flight, ${q.resent} re-sent after Redis lost them`),
      table('queue', ['worker', 'host', 'pid', 'at once', 'jobs done', 'last seen'], q.workers.map((w) => ({ cells: [w.id, w.host, String(w.pid), String(w.concurrency), String(w.jobsDone), w.lastSeen] }))));
  }
  function renderLineage() {
    const host = document.getElementById('lineage-host');
    if (data.lineage.length === 0) { host.replaceChildren(el('p', { class: 'note' }, 'No best variant yet.')); return; }
    host.replaceChildren(...data.lineage.map((step, k) => {
      const title = `${k === data.lineage.length - 1 ? 'best' : `step ${k}`}: ${step.id} · ${step.operator} at iteration ${step.iteration} · fitness ${num(step.fitness, 6)}${step.diff.length ? ` · ${step.diff.length} file(s) changed` : ''}`;
      const body = step.diff.map((f) => {
        const pre = el('pre', { class: 'diff' });
        for (const line of f.lines) pre.append(el('span', { class: line.startsWith('@@') ? 'hunk' : line[0] === '+' ? 'add' : line[0] === '-' ? 'del' : '' }, `${line}\n`));
        return el('div', {}, [el('b', {}, `${f.file} (${f.change})`), f.note ? el('p', { class: 'note' }, f.note) : pre]);
      });
      return el('details', { class: 'step', open: k >= data.lineage.length - 3 ? '' : null }, [el('summary', {}, title), ...body]);
    }));
  }

  function render() {
    renderHeader();
    renderHeatmap();
    renderCurves();
    renderTables();
    renderLineage();
    renderQueue();
    document.body.setAttribute('data-iterations', data.run.iterations);
  }
  render();

  if (live) {
    const badge = document.getElementById('live');
    badge.className = 'on';
    let busy = false;
    setInterval(async () => {
      if (busy) return;
      busy = true;
      try {
        const response = await fetch(live.url, { cache: 'no-store' });
        const next = await response.json();
        if (next.run.iterations !== data.run.iterations || next.run.status !== data.run.status) { data = next; render(); }
        else if (JSON.stringify(next.queue) !== JSON.stringify(data.queue)) { data.queue = next.queue; renderQueue(); }
        badge.textContent = `live · ${data.run.iterations} iterations · checked ${new Date().toLocaleTimeString()}`;
      } catch (error) {
        badge.textContent = `live · cannot reach the server (${error.message})`;
      } finally {
        busy = false;
      }
    }, live.intervalMs);
  }
})();
