/** A small SVG line chart: one panel per series, time on the x axis (the soak run's plot). */

export interface Series {
  label: string;
  unit: string;
  points: [number, number][];
}

const W = 760;
const PANEL = 150;
const PAD = { left: 70, right: 20, top: 28, bottom: 26 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function panel(s: Series, y0: number, xMax: number): string {
  const ys = s.points.map((p) => p[1]);
  const lo = Math.min(0, ...ys);
  const hi = Math.max(1e-9, ...ys) * 1.1;
  const iw = W - PAD.left - PAD.right;
  const ih = PANEL - PAD.top - PAD.bottom;
  const x = (t: number) => PAD.left + (xMax > 0 ? (t / xMax) * iw : 0);
  const y = (v: number) => y0 + PAD.top + ih - ((v - lo) / (hi - lo)) * ih;
  const path = s.points.map((p, i) => `${i ? 'L' : 'M'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join('');
  const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1));
  return [
    `<text x="${PAD.left}" y="${y0 + 18}" font-weight="bold">${esc(s.label)} (${esc(s.unit)})</text>`,
    `<line x1="${PAD.left}" y1="${y(lo)}" x2="${W - PAD.right}" y2="${y(lo)}" stroke="#999"/>`,
    `<line x1="${PAD.left}" y1="${y0 + PAD.top}" x2="${PAD.left}" y2="${y(lo)}" stroke="#999"/>`,
    `<text x="${PAD.left - 6}" y="${y(hi / 1.1) + 4}" text-anchor="end">${fmt(hi / 1.1)}</text>`,
    `<text x="${PAD.left - 6}" y="${y(lo) + 4}" text-anchor="end">${fmt(lo)}</text>`,
    `<text x="${W - PAD.right}" y="${y(lo) + 16}" text-anchor="end">${(xMax / 60).toFixed(1)} min</text>`,
    `<path d="${path}" fill="none" stroke="#0f6cbd" stroke-width="1.5"/>`,
  ].join('\n');
}

export function lineChart(title: string, series: Series[]): string {
  const xMax = Math.max(0, ...series.flatMap((s) => s.points.map((p) => p[0])));
  const h = 30 + series.length * PANEL;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${h}" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`,
    ...series.map((s, i) => panel(s, 30 + i * PANEL, xMax)),
    '</svg>',
  ].join('\n');
}

/** Least-squares slope of the points (per unit of x). */
export function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [px, py] of points) {
    num += (px - mx) * (py - my);
    den += (px - mx) ** 2;
  }
  return den ? num / den : 0;
}
