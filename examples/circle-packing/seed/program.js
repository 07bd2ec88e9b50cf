// Packs 26 circles into the unit square, maximising the sum of their radii.
// pack() must return 26 objects { x, y, r }: centre (x, y) and radius r > 0, every circle
// inside [0, 1] x [0, 1] and no two overlapping. Plain JavaScript: no imports, no I/O.

const CIRCLES = 26;

// EVOLVE-BLOCK-START
// Rows of circles, every other row shifted sideways (a loose hexagonal layout); then every
// circle starts at a target radius, is capped to what fits, and grows into the room left over.
const ROWS = 5; // rows of centres (rounded); the circles are shared out evenly between rows
const MARGIN_X = 0.11; // distance from the left and right walls to the outermost centres
const MARGIN_Y = 0.1; // distance from the bottom and top walls to the outermost rows
const STAGGER = 0.5; // sideways shift of every other row, as a fraction of the spacing in the row
const TARGET_RADIUS = 0.075; // radius every circle asks for before the growth passes
const GROWTH = 0.5; // share of a circle's free room it takes in each growth pass
const GROWTH_PASSES = 3; // growth passes (rounded)

function placeCentres(n) {
  const rows = Math.max(1, Math.round(ROWS));
  const rowOf = (i) => Math.floor((i * rows) / n);
  const circles = Array.from({ length: n }, (_, i) => i);
  return circles.map((i) => {
    const row = rowOf(i);
    const inRow = circles.filter((j) => rowOf(j) === row);
    const y = MARGIN_Y + ((1 - 2 * MARGIN_Y) * row) / Math.max(1, rows - 1);
    const spacing = (1 - 2 * MARGIN_X) / Math.max(1, inRow.length - 1);
    const shift = row % 2 === 1 ? STAGGER * spacing : 0;
    return { x: MARGIN_X + shift + inRow.indexOf(i) * spacing, y };
  });
}

function assignRadii(centres) {
  let radii = feasibleRadii(centres, centres.map(() => TARGET_RADIUS));
  for (let pass = 0; pass < Math.round(GROWTH_PASSES); pass++) {
    const room = radii.map((r, i) => freeRoom(centres, radii, i));
    radii = feasibleRadii(centres, radii.map((r, i) => r + GROWTH * room[i]));
  }
  return radii;
}
// EVOLVE-BLOCK-END

// Fixed harness: from here on the code keeps any layout valid.

/**
 * Keeps centres strictly inside the square, so every circle can get a positive radius: a
 * coordinate within 0.001 of the square or outside it is squeezed into (0, 0.001) from that
 * wall. The map is strictly increasing, so distinct centres stay distinct.
 */
function keepInside(c) {
  const inset = 1e-3;
  const squeeze = (v) => (v < inset ? inset / (1 + (inset - v) / inset) : v > 1 - inset ? 1 - squeeze(1 - v) : v);
  return { x: squeeze(c.x), y: squeeze(c.y) };
}

/**
 * The wanted radii made feasible: each radius is capped at its distance to the nearest wall,
 * then every overlapping pair is shrunk in proportion until it just touches. Shrinking never
 * creates an overlap, so one pass over the pairs leaves a valid packing.
 */
function feasibleRadii(centres, wanted) {
  const radii = centres.map((c, i) => Math.max(0, Math.min(wanted[i], c.x, c.y, 1 - c.x, 1 - c.y)));
  for (let i = 0; i < centres.length; i++) {
    for (let j = i + 1; j < centres.length; j++) {
      const d = Math.hypot(centres[i].x - centres[j].x, centres[i].y - centres[j].y);
      const sum = radii[i] + radii[j];
      if (sum > d) {
        const scale = (d / sum) * (1 - 1e-12);
        radii[i] *= scale;
        radii[j] *= scale;
      }
    }
  }
  return radii;
}

/** How much circle i could grow before it touches a wall or another circle. */
function freeRoom(centres, radii, i) {
  const c = centres[i];
  let room = Math.min(c.x, c.y, 1 - c.x, 1 - c.y) - radii[i];
  for (let j = 0; j < centres.length; j++) {
    if (j === i) continue;
    const d = Math.hypot(c.x - centres[j].x, c.y - centres[j].y);
    room = Math.min(room, d - radii[i] - radii[j]);
  }
  return Math.max(0, room);
}

function pack() {
  const centres = placeCentres(CIRCLES).slice(0, CIRCLES).map(keepInside);
  const radii = feasibleRadii(centres, assignRadii(centres));
  return centres.map((c, i) => ({ x: c.x, y: c.y, r: radii[i] }));
}
