// The figures of the consumer's HTTP face (/api/totals, and the page and charts drawn from it):
// the experiment status as of this pod's last checkpoint (every pod shows the same merged totals,
// whichever partitions it owns), each voice with its confidence interval, and `pod`, this pod's
// own view: the partitions it owns and how far it has counted each, possibly ahead of the status.
import type {
  BattleTotal,
  OtherBattles,
  OtherVoices,
  RatingExperimentStatus,
  VoiceTotal,
} from '../api/v1alpha1.ts';
import { INTERVAL_METHOD, meanInterval, type Interval } from '../ratings/statistics.ts';
import type { RateSample } from './charts.ts';
import type { Position } from './partitions.ts';

export interface TotalsView {
  experiment: { namespace: string; name: string };
  /** The status as last read or written by this pod; undefined before the first read. */
  status: RatingExperimentStatus | undefined;
  /** The labels of the rating scale (value = index). */
  scale: readonly string[];
  /** counted and produced as the status said at recent checkpoints, oldest first. */
  rates: { windowMs: number; samples: readonly RateSample[] };
  pod: { name: string; partitions: Position[] };
  /** ms since the epoch (for the rates chart's time axis). */
  now: number;
}

export const INTERVAL = {
  method: 'student-t',
  confidence: 0.95,
  description: INTERVAL_METHOD,
} as const;

/** A voice's total with its 95% interval of the mean. */
export interface VoiceRow extends VoiceTotal {
  interval: (Interval & { method: typeof INTERVAL.method }) | null;
  /** Why interval is null. */
  intervalMissing?: string;
}

export interface TotalsResponse {
  experiment: { namespace: string; name: string };
  source: 'status';
  checkpointedAt: string | null;
  interval: typeof INTERVAL;
  scale: readonly string[];
  totals: VoiceRow[];
  otherVoices: OtherVoices;
  battles: BattleTotal[];
  otherBattles: OtherBattles;
  leader: string | null;
  counted: number;
  rejected: number;
  lost: number;
  produced: number | null;
  lag: number | null;
  rates: { windowSeconds: number; samples: RateSample[] };
  pod: TotalsView['pod'];
}

export const NO_SQUARES =
  'spread unknown: part of the count was checkpointed before sums of squares were kept';
export const TOO_FEW = 'fewer than 2 ratings';

export function voiceRow(total: VoiceTotal): VoiceRow {
  const row: VoiceRow = { ...total, interval: null };
  if (total.squares === undefined) {
    row.intervalMissing = total.count < 2 ? TOO_FEW : NO_SQUARES;
    return row;
  }
  const interval = meanInterval(total.count, total.sum, total.squares);
  if (interval === undefined) row.intervalMissing = TOO_FEW;
  else row.interval = { ...interval, method: INTERVAL.method };
  return row;
}

export function totalsResponse(view: TotalsView): TotalsResponse {
  const status = view.status ?? {};
  return {
    experiment: view.experiment,
    source: 'status',
    checkpointedAt: status.checkpointedAt ?? null,
    interval: INTERVAL,
    scale: view.scale,
    totals: (status.totals ?? []).map(voiceRow),
    otherVoices: status.otherVoices ?? { sum: 0, count: 0 },
    battles: status.battles ?? [],
    otherBattles: status.otherBattles ?? { sum: 0, count: 0 },
    leader: status.leader ?? null,
    counted: status.counted ?? 0,
    rejected: status.rejected ?? 0,
    lost: status.lost ?? 0,
    produced: status.produced ?? null,
    lag: status.lag ?? null,
    rates: { windowSeconds: view.rates.windowMs / 1000, samples: [...view.rates.samples] },
    pod: view.pod,
  };
}
