// What a rating may name: the experiment's voices, battles and rating scale. Built once per
// spec change and shared by the generator, the HTTP intake and the consumer's parser, which is
// why it carries Sets next to the lists (membership is checked for every record).
import { codedError } from '../common/errors.ts';

/** The catalog fields of a RatingExperiment spec (the API server fills in their defaults). */
export interface CatalogSpec {
  voices?: readonly string[];
  battles?: readonly string[];
  scale?: readonly string[];
}

export interface Catalog {
  readonly voices: readonly string[];
  readonly battles: readonly string[];
  /** Rating labels, lowest first: a rating's value is the index of its label. */
  readonly scale: readonly string[];
  readonly voiceSet: ReadonlySet<string>;
  readonly battleSet: ReadonlySet<string>;
  /**
   * The experiment's metadata.generation this catalog was read at (0 when unknown): producers
   * stamp it on the records it admitted (src/ratings/judge.ts).
   */
  readonly generation: number;
}

export class CatalogError extends codedError('RATINGS_CATALOG_INVALID', {
  errorClass: 'terminal',
  userFacing: true,
}) {}

/**
 * A catalog from an experiment spec. Admission already enforces these rules; they are checked
 * again because the generator cannot pick two distinct voices from fewer than two, and a
 * duplicate would silently skew the random choice.
 */
export function catalogFromSpec(spec: CatalogSpec, generation = 0): Catalog {
  const voices = list(spec.voices, 'voices', 2);
  const battles = list(spec.battles, 'battles', 1);
  const scale = list(spec.scale, 'scale', 2);
  return Object.freeze({
    voices,
    battles,
    scale,
    voiceSet: new Set(voices),
    battleSet: new Set(battles),
    generation,
  });
}

function list(values: readonly string[] | undefined, field: string, min: number): readonly string[] {
  if (values === undefined) {
    throw new CatalogError(
      `spec.${field} is missing (the API server defaults it: is the CRD from crds/ installed?)`,
    );
  }
  if (values.length < min) {
    throw new CatalogError(`spec.${field} needs at least ${min} entries, has ${values.length}`);
  }
  const seen = new Set<string>();
  for (const value of values) {
    if (typeof value !== 'string' || value === '') {
      throw new CatalogError(`spec.${field} entries must be non-empty strings`);
    }
    if (seen.has(value)) throw new CatalogError(`spec.${field} lists "${value}" twice`);
    seen.add(value);
  }
  return Object.freeze([...values]);
}
