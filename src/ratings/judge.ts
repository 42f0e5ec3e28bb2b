// Judging a record when the catalog changes under it (assumption A4 of checkpoint.ts): a rating
// the producer acknowledged under the catalog it had is counted, whatever the consumer's copy
// says; a record of another client is judged against a copy read after it was written.
//
// The producer stamps each record with the metadata.generation of the experiment whose catalog
// admitted it (CATALOG_GENERATION_HEADER). For a record the consumer's copy does not admit:
// - stamped with a generation this copy has reached or passed: the producer's catalog admitted
//   it, a later edit removed what it names: counted if it is a well-formed rating whose names the
//   CRD would admit (a catalog once had them);
// - stamped with a newer generation than this copy: read the experiment again, then judge; still
//   older (the read failed): no verdict now, retry later;
// - not stamped (another client): judged against a copy read after the record's timestamp
//   (read again first when the copy is older), then rejected if that copy refuses it.
// A verdict depends only on the record and the catalogs of generations at or after its stamp or
// timestamp, so every consumer that counts it reaches the same one.
import { RE2_SPACE, apiLength } from '../api/api-strings.ts';
import type { Catalog } from './catalog.ts';
import { parseRecord, type ParsedRating } from './rating.ts';

/** The Kafka record header with the experiment generation whose catalog admitted the rating. */
export const CATALOG_GENERATION_HEADER = 'ratings.conglombo.io/catalog-generation';

/** Clocks of producers and consumers may differ this much (ms). */
export const CLOCK_SKEW_MS = 2_000;

/** The consumer's copy of the catalog: from which generation, read when. */
export interface CatalogView {
  readonly catalog: Catalog;
  readonly generation: number;
  /** When the copy was read (ms since the epoch). */
  readonly readAt: number;
}

export interface JudgedRecord {
  readonly value: Buffer | string | null | undefined;
  /** The producer's stamp, undefined for records of other clients. */
  readonly stamp: number | undefined;
  /** The record's timestamp (ms since the epoch). */
  readonly timestamp: number;
}

export type Verdict =
  | { kind: 'count'; rating: ParsedRating; byStamp: boolean }
  | { kind: 'reject'; reason: string }
  /** The verdict needs a newer copy of the catalog: read the experiment again, then judge again. */
  | { kind: 'refresh'; reason: string };

/**
 * Names as the CRD admits them for voices (and, longer, battles): what any catalog could hold.
 * Judged as the API server judges them (src/api/api-strings.ts): RE2's spaces, lengths in characters.
 */
const NAME = new RegExp(`^[^|${RE2_SPACE}]([^|]*[^|${RE2_SPACE}])?$`, 'u');
const admitted = (max: number) => ({ has: (name: string) => apiLength(name) <= max && NAME.test(name) });

/** Every catalog the CRD admits at once: the judge of well-formed stamped records. */
const ANY_CATALOG: Catalog = Object.freeze({
  voices: [],
  battles: [],
  scale: Array.from({ length: 10 }, (_, i) => String(i)),
  voiceSet: admitted(64) as unknown as ReadonlySet<string>,
  battleSet: admitted(128) as unknown as ReadonlySet<string>,
  generation: 0,
});

export function judgeRecord(record: JudgedRecord, view: CatalogView): Verdict {
  const parsed = parseRecord(record.value, view.catalog);
  if (parsed.ok) return { kind: 'count', rating: parsed.rating, byStamp: false };
  const wellFormed = parseRecord(record.value, ANY_CATALOG);
  if (!wellFormed.ok) return { kind: 'reject', reason: parsed.reason };
  if (record.stamp !== undefined) {
    if (record.stamp <= view.generation) return { kind: 'count', rating: wellFormed.rating, byStamp: true };
    return {
      kind: 'refresh',
      reason: `stamped with catalog generation ${record.stamp}, newer than this copy's ${view.generation}`,
    };
  }
  if (view.readAt < record.timestamp + CLOCK_SKEW_MS) {
    return {
      kind: 'refresh',
      reason: `${parsed.reason}, judged by a catalog read before the record was written`,
    };
  }
  return { kind: 'reject', reason: parsed.reason };
}

/** The stamp of a record's headers (kafkajs gives Buffers), undefined when absent or garbled. */
export function stampOf(headers: Readonly<Record<string, unknown>> | undefined): number | undefined {
  const raw =
    headers === undefined
      ? undefined
      : Object.hasOwn(headers, CATALOG_GENERATION_HEADER)
        ? headers[CATALOG_GENERATION_HEADER]
        : undefined;
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : typeof raw === 'string' ? raw : undefined;
  if (text === undefined || !/^[0-9]{1,15}$/.test(text)) return undefined;
  return Number(text);
}
