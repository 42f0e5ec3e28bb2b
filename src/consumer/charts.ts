// The leaderboard's pictures as SVG text, drawn on the server from the same figures /api/totals
// serves: pure functions, so that what the page shows is tested without a browser. The page
// inlines them on first render and its script fetches them again to stay live. Only
// presentation attributes, no style attributes, so the page's CSP needs no 'unsafe-inline'.
import { escapeXml } from '../common/html.ts';
import type { Interval } from '../ratings/statistics.ts';

/** One voice as the chart needs it. */
export interface VoiceFigure {
  voice: string;
  count: number;
  mean: number;
  /** The 95% interval of the mean; null when it is not known (see intervalMissing). */
  interval: Interval | null;
  intervalMissing?: string;
}

export interface BattleFigure {
  battle: string;
  count: number;
  mean: number;
}

/** What the status said at one checkpoint: ratings counted and produced so far. */
export interface RateSample {
  /** ms since the epoch */
  at: number;
  counted: number;
  produced: number | null;
}

const WIDTH = 760;
const LABEL_RIGHT = 210;
const PLOT_LEFT = 222;
const PLOT_RIGHT = 640;
const ROW = 24;
const FONT = 'font-family="system-ui, sans-serif" font-size="13"';
const INK = '#222';
const GRID = '#ddd';
const MUTED = '#777';
const COUNTED = '#1b6ec2';
const PRODUCED = '#d9822b';

/** Voices ranked by mean, each a dot at its mean and a bar over its 95% interval, with its count. */
export function voicesChart(voices: readonly VoiceFigure[], scale: readonly string[]): string {
  const ranked = [...voices].sort(
    (a, b) => b.mean - a.mean || b.count - a.count || (a.voice < b.voice ? -1 : a.voice > b.voice ? 1 : 0),
  );
  const top = 34;
  const height = top + Math.max(1, ranked.length) * ROW + 10;
  const max = Math.max(1, scale.length - 1);
  const x = (value: number) =>
    PLOT_LEFT + (Math.min(max, Math.max(0, value)) / max) * (PLOT_RIGHT - PLOT_LEFT);
  const parts: string[] = [];
  scale.forEach((label, value) => {
    const at = fixed(x(value));
    parts.push(
      `<line x1="${at}" y1="${top - 8}" x2="${at}" y2="${height - 6}" stroke="${GRID}"/>`,
      `<text x="${at}" y="${top - 14}" text-anchor="middle" fill="${MUTED}">${value} ${escapeXml(label)}</text>`,
    );
  });
  if (ranked.length === 0) {
    parts.push(`<text x="${PLOT_LEFT}" y="${top + 16}" fill="${MUTED}">no ratings counted yet</text>`);
  }
  ranked.forEach((v, i) => {
    const y = top + i * ROW + ROW / 2;
    const data = [
      `data-voice="${escapeXml(v.voice)}"`,
      `data-mean="${v.mean}"`,
      `data-count="${v.count}"`,
      ...(v.interval === null ? [] : [`data-low="${v.interval.low}"`, `data-high="${v.interval.high}"`]),
    ].join(' ');
    const detail =
      v.interval === null
        ? `${v.voice}: mean ${v.mean.toFixed(3)} of ${v.count}; interval unknown (${v.intervalMissing ?? 'not known'})`
        : `${v.voice}: mean ${v.mean.toFixed(3)}, 95% interval ${v.interval.low.toFixed(3)} to ${v.interval.high.toFixed(3)}, ${v.count} ratings`;
    const bar =
      v.interval === null
        ? ''
        : `<line class="interval" x1="${fixed(x(v.interval.low))}" y1="${y}" x2="${fixed(x(v.interval.high))}" y2="${y}" stroke="${COUNTED}" stroke-width="6" stroke-opacity="0.35" stroke-linecap="round"/>`;
    const dot =
      v.interval === null
        ? `<circle class="mean" cx="${fixed(x(v.mean))}" cy="${y}" r="5" fill="#fff" stroke="${COUNTED}" stroke-width="2"/>`
        : `<circle class="mean" cx="${fixed(x(v.mean))}" cy="${y}" r="5" fill="${COUNTED}"/>`;
    parts.push(
      `<g class="voice" ${data}><title>${escapeXml(detail)}</title>`,
      `<text x="${LABEL_RIGHT}" y="${y + 4}" text-anchor="end" fill="${INK}">${i + 1}. ${escapeXml(clip(v.voice, 28))}</text>`,
      bar,
      dot,
      `<text class="count" x="${PLOT_RIGHT + 12}" y="${y + 4}" fill="${MUTED}">${v.interval === null ? '○ ' : ''}n=${v.count}</text></g>`,
    );
  });
  return svg('voices-chart', height, 'Mean rating of each voice with its 95% confidence interval', parts);
}

/**
 * Ratings per second counted and produced, between consecutive checkpoints, over `windowMs`
 * before `now`, or since the first sample when that is more recent (a pod that just started).
 */
export function ratesChart(samples: readonly RateSample[], now: number, windowMs: number): string {
  const height = 170;
  const top = 24;
  const bottom = height - 26;
  const left = 60;
  const right = WIDTH - 20;
  const counted: [number, number][] = [];
  const produced: [number, number][] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    const seconds = (b.at - a.at) / 1000;
    if (seconds <= 0) continue;
    counted.push([b.at, Math.max(0, (b.counted - a.counted) / seconds)]);
    if (a.produced !== null && b.produced !== null) {
      produced.push([b.at, Math.max(0, (b.produced - a.produced) / seconds)]);
    }
  }
  const peak = Math.max(1, ...counted.map(([, r]) => r), ...produced.map(([, r]) => r));
  const yMax = niceCeiling(peak);
  const since = Math.max(now - windowMs, Math.min(now - 60_000, samples[0]?.at ?? now));
  const span = now - since;
  const x = (at: number) => left + ((at - since) / span) * (right - left);
  const y = (rate: number) => bottom - (rate / yMax) * (bottom - top);
  const parts = [
    `<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="${GRID}"/>`,
    `<line x1="${left}" y1="${top}" x2="${right}" y2="${top}" stroke="${GRID}"/>`,
    `<text x="${left - 6}" y="${top + 4}" text-anchor="end" fill="${MUTED}">${yMax}/s</text>`,
    `<text x="${left - 6}" y="${bottom + 4}" text-anchor="end" fill="${MUTED}">0</text>`,
    `<text x="${left}" y="${height - 6}" fill="${MUTED}">${ago(span)}</text>`,
    `<text x="${right}" y="${height - 6}" text-anchor="end" fill="${MUTED}">now</text>`,
    `<text x="${left}" y="14" fill="${COUNTED}">■ counted</text>`,
    `<text x="${left + 90}" y="14" fill="${PRODUCED}">■ produced</text>`,
  ];
  const line = (cls: string, color: string, all: [number, number][], dash?: string) => {
    const points = all.filter(([at]) => at >= since);
    const last = points.at(-1);
    // The latest rate also as a dot, so that a single rate shows.
    const dot =
      last === undefined
        ? ''
        : `<circle cx="${fixed(x(last[0]))}" cy="${fixed(y(last[1]))}" r="3" fill="${color}"/>`;
    const dashes = dash === undefined ? '' : ` stroke-dasharray="${dash}"`;
    return `<polyline class="${cls}" data-points="${points.length}" fill="none" stroke="${color}" stroke-width="2"${dashes} points="${points
      .map(([at, rate]) => `${fixed(x(at))},${fixed(y(rate))}`)
      .join(' ')}"/>${dot}`;
  };
  // Produced dashed on top: where counting keeps up, the two lines coincide.
  parts.push(line('rate counted', COUNTED, counted), line('rate produced', PRODUCED, produced, '5 4'));
  if (counted.length === 0) {
    parts.push(
      `<text x="${left + 10}" y="${(top + bottom) / 2}" fill="${MUTED}">waiting for two checkpoints</text>`,
    );
  }
  return svg('rates-chart', height, 'Ratings per second, counted and produced', parts);
}

/** Battles by number of ratings: a bar for the count, and the mean rating. */
export function battlesChart(battles: readonly BattleFigure[], other: { count: number }): string {
  const top = 8;
  const rows = battles.length + (other.count > 0 ? 1 : 0);
  const height = top + Math.max(1, rows) * ROW + 6;
  const most = Math.max(1, ...battles.map((b) => b.count), other.count);
  const width = (count: number) => fixed((count / most) * (PLOT_RIGHT - PLOT_LEFT));
  const parts: string[] = [];
  if (rows === 0)
    parts.push(`<text x="${PLOT_LEFT}" y="${top + 16}" fill="${MUTED}">no battles rated yet</text>`);
  battles.forEach((b, i) => {
    const y = top + i * ROW;
    parts.push(
      `<g class="battle" data-battle="${escapeXml(b.battle)}" data-count="${b.count}" data-mean="${b.mean}">`,
      `<title>${escapeXml(`${b.battle}: ${b.count} ratings, mean ${b.mean.toFixed(3)}`)}</title>`,
      `<text x="${LABEL_RIGHT}" y="${y + 16}" text-anchor="end" fill="${INK}">${escapeXml(clip(b.battle, 30))}</text>`,
      `<rect x="${PLOT_LEFT}" y="${y + 5}" width="${width(b.count)}" height="${ROW - 10}" fill="${COUNTED}" fill-opacity="0.6"/>`,
      `<text x="${PLOT_RIGHT + 12}" y="${y + 16}" fill="${MUTED}">${b.count} · mean ${b.mean.toFixed(2)}</text></g>`,
    );
  });
  if (other.count > 0) {
    const y = top + battles.length * ROW;
    parts.push(
      `<g class="battle other" data-count="${other.count}">`,
      `<text x="${LABEL_RIGHT}" y="${y + 16}" text-anchor="end" fill="${MUTED}">other battles (not named)</text>`,
      `<rect x="${PLOT_LEFT}" y="${y + 5}" width="${width(other.count)}" height="${ROW - 10}" fill="${MUTED}" fill-opacity="0.5"/>`,
      `<text x="${PLOT_RIGHT + 12}" y="${y + 16}" fill="${MUTED}">${other.count}</text></g>`,
    );
  }
  return svg('battles-chart', height, 'Ratings per battle', parts);
}

function ago(ms: number): string {
  return ms >= 120_000 ? `−${Math.round(ms / 60_000)} min` : `−${Math.round(ms / 1000)} s`;
}

function svg(id: string, height: number, title: string, parts: readonly string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" id="${id}" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escapeXml(title)}" ${FONT}>${parts.join('')}</svg>`;
}

function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function fixed(n: number): string {
  return n.toFixed(1);
}

/** 1, 2 or 5 times a power of ten, at least `value`. */
export function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}
