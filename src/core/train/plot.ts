// The loss curve as a standalone SVG picture: training loss per step, validation loss as dots.

export interface CurvePoint {
  step: number;
  loss: number;
}

const W = 640;
const H = 360;
const M = { left: 56, right: 16, top: 28, bottom: 40 };

function niceTicks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) ticks.push(Number(t.toPrecision(6)));
  return ticks;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function lossCurveSvg(train: readonly CurvePoint[], val: readonly CurvePoint[], title: string): string {
  const all = [...train, ...val].filter((p) => Number.isFinite(p.loss));
  const steps = all.map((p) => p.step);
  const losses = all.map((p) => p.loss);
  const x0 = Math.min(0, ...steps);
  const x1 = Math.max(1, ...steps);
  const y0 = all.length ? Math.min(...losses) : 0;
  const y1 = all.length ? Math.max(...losses) : 1;
  const pad = (y1 - y0) * 0.05 || 0.5;
  const lo = y0 - pad;
  const hi = y1 + pad;
  const px = (s: number) => M.left + ((s - x0) / (x1 - x0)) * (W - M.left - M.right);
  const py = (l: number) => H - M.bottom - ((l - lo) / (hi - lo)) * (H - M.top - M.bottom);
  const f = (n: number) => n.toFixed(1);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="16" text-anchor="middle" font-size="13">${esc(title)}</text>`,
  ];
  for (const t of niceTicks(lo, hi, 6)) {
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${f(py(t))}" y2="${f(py(t))}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 6}" y="${f(py(t) + 4)}" text-anchor="end">${t}</text>`);
  }
  for (const t of niceTicks(x0, x1, 8)) {
    if (t !== Math.round(t)) continue;
    out.push(`<text x="${f(px(t))}" y="${H - M.bottom + 16}" text-anchor="middle">${t}</text>`);
  }
  out.push(`<text x="${W / 2}" y="${H - 6}" text-anchor="middle">step</text>`);
  out.push(`<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="#888"/>`);
  if (train.length) {
    const pts = train.map((p) => `${f(px(p.step))},${f(py(p.loss))}`).join(' ');
    out.push(`<polyline points="${pts}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>`);
  }
  for (const p of val) out.push(`<circle cx="${f(px(p.step))}" cy="${f(py(p.loss))}" r="3.5" fill="#d62728"/>`);
  out.push(`<line x1="${W - 170}" x2="${W - 150}" y1="${M.top + 14}" y2="${M.top + 14}" stroke="#1f77b4" stroke-width="2"/>`);
  out.push(`<text x="${W - 145}" y="${M.top + 18}">training loss</text>`);
  out.push(`<circle cx="${W - 160}" cy="${M.top + 30}" r="3.5" fill="#d62728"/>`);
  out.push(`<text x="${W - 145}" y="${M.top + 34}">validation loss</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
