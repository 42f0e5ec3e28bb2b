// The spec with every default applied, or the problems that make it unusable. Admission already
// refuses most invalid specs (crds/); this is the controller's defence for what it could not
// check, or for objects stored before a rule existed or under a different CRD.
import { RE2_SPACE, apiLength } from '../api/api-strings.ts';
import type { RatingExperiment, ResourceRequirements } from '../api/v1alpha1.ts';
import { codedError } from '../common/errors.ts';
import { defaultTopicName, legacyDefaultTopicName } from './names.ts';

export type DeletionPolicy = 'Delete' | 'Retain';
/** Who may rate through the intake: anyone (None), or users Kubernetes RBAC allows (Kubernetes). */
export type IntakeAuthentication = 'None' | 'Kubernetes';

/** A RatingExperiment spec with all defaults applied; what the model renders from. */
export interface ResolvedSpec {
  kafka: { cluster: string; namespace: string; bootstrapServers?: string; listener?: string };
  topic: { name: string; partitions: number; replicas: number; config: Record<string, string> };
  voices: string[];
  battles: string[];
  scale: string[];
  producer: {
    replicas: number;
    ratingsPerSecond: number;
    workers: number;
    intake: { authentication: IntakeAuthentication };
  };
  consumer: { replicas: number; checkpointIntervalSeconds: number; workers: number };
  deletionPolicy: DeletionPolicy;
  image?: string;
  resources?: ResourceRequirements;
}

/** The scalar defaults of the CRD (a unit test keeps them equal). */
export const SPEC_DEFAULTS = {
  topic: { partitions: 3, replicas: 1 },
  producer: { replicas: 1, ratingsPerSecond: 5, workers: 0, intake: { authentication: 'None' } },
  consumer: { replicas: 2, checkpointIntervalSeconds: 5, workers: 1 },
  deletionPolicy: 'Delete',
} as const;

/** The bounds of the CRD, checked again here (a unit test keeps them equal). */
export const SPEC_BOUNDS = {
  'topic.partitions': [1, 64],
  'topic.replicas': [1, 10],
  'producer.replicas': [0, 10],
  'producer.ratingsPerSecond': [0, 100_000],
  'producer.workers': [0, 16],
  'consumer.replicas': [0, 10],
  'consumer.checkpointIntervalSeconds': [1, 300],
  'consumer.workers': [1, 16],
} as const satisfies Record<string, readonly [number, number]>;

export const LIST_BOUNDS = {
  voices: { min: 2, max: 32, maxLength: 64 },
  battles: { min: 1, max: 500, maxLength: 128 },
  scale: { min: 2, max: 10, maxLength: 32 },
} as const;

export type SpecResult = { ok: true; spec: ResolvedSpec } | { ok: false; problems: string[] };

/** The longest string fields, counted in characters as the API server counts them (the CRD's maxLength). */
export const STRING_BOUNDS = {
  'kafka.bootstrapServers': 1024,
  'topic.config': 1024,
  image: 512,
} as const;

// The patterns judge as the CRD's do, which the API server reads as RE2: its \s is [\t\n\f\r ]
// (JavaScript's also takes \v, NBSP and the Unicode spaces), hence RE2_SPACE; the u flag makes a
// class match a character, not half of a surrogate pair.
const NAME = /^[a-z]([-a-z0-9]{0,52}[a-z0-9])?$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A DNS-1123 subdomain short enough to be a label value (63), as the Kafka cluster name becomes one. */
const LABEL_VALUE_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/;
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const LISTENER = /^[a-z0-9]{1,25}$/;
const BOOTSTRAP = new RegExp(`^[^${RE2_SPACE}:,]+:[0-9]{1,5}(,[^${RE2_SPACE}:,]+:[0-9]{1,5})*$`, 'u');
const LIST_ITEM = new RegExp(`^[^|${RE2_SPACE}]([^|]*[^|${RE2_SPACE}])?$`, 'u');
const IMAGE = new RegExp(`^[^${RE2_SPACE}]+$`, 'u');
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?(\d+(\.\d*)?|\.\d+))?$/;
/**
 * Topic names that are not a tenant's: Kafka's internal topics (`__consumer_offsets`,
 * `__transaction_state`, `__share_group_state`, and Strimzi's `__strimzi_store_topic`: every name
 * beginning with `__`) and Cruise Control's (`strimzi.cruisecontrol.*`). Kafka counts '.' and '_'
 * as the same character when it compares topic names, so either one matches both.
 */
const RESERVED_TOPICS: [RegExp, string][] = [
  [/^[._]{2}/, "Kafka's internal topics (names beginning with '__', such as __consumer_offsets)"],
  [/^strimzi[._]cruisecontrol[._]/, "Cruise Control's topics (strimzi.cruisecontrol.*)"],
];

export interface ResolveOptions {
  /**
   * Keep the legacy default topic (`<name>-ratings`) when status.topic records it and spec.topic.name
   * is unset: an experiment created before default topics carried the namespace goes on counting its
   * topic. False when that topic turned out to belong to another experiment. Default true.
   */
  keepRecordedTopic?: boolean;
}

/**
 * The topic an experiment uses: spec.topic.name; else its recorded legacy default (see
 * ResolveOptions); else `<namespace>.<name>-ratings`.
 */
export function topicNameOf(exp: RatingExperiment, options: ResolveOptions = {}): string {
  const name = exp.metadata?.name ?? '';
  const explicit = exp.spec?.topic?.name;
  if (explicit !== undefined) return explicit;
  const legacy = legacyDefaultTopicName(name);
  if (options.keepRecordedTopic !== false && exp.status?.topic === legacy) return legacy;
  return defaultTopicName(exp.metadata?.namespace ?? '', name);
}

/** Whether the experiment runs on its legacy default topic (see ResolveOptions). */
export function usesRecordedLegacyTopic(exp: RatingExperiment): boolean {
  return (
    exp.spec?.topic?.name === undefined && topicNameOf(exp) !== topicNameOf(exp, { keepRecordedTopic: false })
  );
}

type Spec = Partial<RatingExperiment['spec']>;

/** Applies defaults and checks the spec; problems name the field and say what is wrong. */
export function resolveSpec(exp: RatingExperiment, options: ResolveOptions = {}): SpecResult {
  const problems: string[] = [];
  const spec: Spec = exp.spec ?? {};
  checkName(exp.metadata?.name ?? '', problems);
  const kafka = resolveKafka(spec, problems);
  const topicName = checkTopicName(topicNameOf(exp, options), problems);
  const config = spec.topic?.config ?? {};
  checkTopicConfig(config, problems);
  const { deletionPolicy, authentication } = resolveChoices(spec, problems);
  checkImageAndResources(spec, problems);
  const number = boundedInteger(problems);
  const list = boundedList(problems);
  const resolved: ResolvedSpec = {
    kafka,
    topic: {
      name: topicName,
      partitions: number('topic.partitions', spec.topic?.partitions, SPEC_DEFAULTS.topic.partitions),
      replicas: number('topic.replicas', spec.topic?.replicas, SPEC_DEFAULTS.topic.replicas),
      config: { ...config },
    },
    voices: list('voices', spec.voices),
    battles: list('battles', spec.battles),
    scale: list('scale', spec.scale),
    producer: {
      replicas: number('producer.replicas', spec.producer?.replicas, SPEC_DEFAULTS.producer.replicas),
      ratingsPerSecond: number(
        'producer.ratingsPerSecond',
        spec.producer?.ratingsPerSecond,
        SPEC_DEFAULTS.producer.ratingsPerSecond,
      ),
      workers: number('producer.workers', spec.producer?.workers, SPEC_DEFAULTS.producer.workers),
      intake: { authentication },
    },
    consumer: {
      replicas: number('consumer.replicas', spec.consumer?.replicas, SPEC_DEFAULTS.consumer.replicas),
      checkpointIntervalSeconds: number(
        'consumer.checkpointIntervalSeconds',
        spec.consumer?.checkpointIntervalSeconds,
        SPEC_DEFAULTS.consumer.checkpointIntervalSeconds,
      ),
      workers: number('consumer.workers', spec.consumer?.workers, SPEC_DEFAULTS.consumer.workers),
    },
    deletionPolicy,
    ...(spec.image !== undefined && { image: spec.image }),
    ...(spec.resources !== undefined && { resources: spec.resources }),
  };
  return problems.length > 0 ? { ok: false, problems } : { ok: true, spec: resolved };
}

function checkName(name: string, problems: string[]): void {
  if (!NAME.test(name)) {
    problems.push(
      `metadata.name: "${name}" must be a DNS-1035 label of at most 54 characters, as it prefixes the producer and consumer Services`,
    );
  }
}

function resolveKafka(spec: Spec, problems: string[]): ResolvedSpec['kafka'] {
  const kafka = spec.kafka ?? { cluster: '', namespace: '' };
  if (!kafka.cluster) problems.push('spec.kafka.cluster: required, the name of the Strimzi Kafka resource');
  else if (!LABEL_VALUE_SUBDOMAIN.test(kafka.cluster)) {
    problems.push(
      `spec.kafka.cluster: "${kafka.cluster}" must be a DNS-1123 name of at most 63 characters, as it becomes the value of the label strimzi.io/cluster`,
    );
  }
  if (!kafka.namespace)
    problems.push('spec.kafka.namespace: required, the namespace of the Strimzi Kafka resource');
  else if (!DNS1123_LABEL.test(kafka.namespace)) {
    problems.push(`spec.kafka.namespace: "${kafka.namespace}" is not a valid namespace`);
  }
  const bootstrapMax = STRING_BOUNDS['kafka.bootstrapServers'];
  if (
    kafka.bootstrapServers !== undefined &&
    (!BOOTSTRAP.test(kafka.bootstrapServers) || apiLength(kafka.bootstrapServers) > bootstrapMax)
  ) {
    problems.push(
      `spec.kafka.bootstrapServers: "${kafka.bootstrapServers}" must be host:port[,host:port…], at most ${bootstrapMax} characters`,
    );
  }
  if (kafka.listener !== undefined && !LISTENER.test(kafka.listener)) {
    problems.push(`spec.kafka.listener: "${kafka.listener}" must be 1 to 25 lowercase letters and digits`);
  }
  return {
    cluster: kafka.cluster,
    namespace: kafka.namespace,
    ...(kafka.bootstrapServers !== undefined && { bootstrapServers: kafka.bootstrapServers }),
    ...(kafka.listener !== undefined && { listener: kafka.listener }),
  };
}

function checkTopicName(topicName: string, problems: string[]): string {
  if (!TOPIC_NAME.test(topicName)) {
    problems.push(
      `spec.topic.name: "${topicName}" is not a legal Kafka topic name (1-249 of letters, digits, '.', '_', '-')`,
    );
  } else if (topicName === '.' || topicName === '..') {
    problems.push(`spec.topic.name: "${topicName}" is not a legal Kafka topic name`);
  } else {
    for (const [reserved, what] of RESERVED_TOPICS) {
      if (reserved.test(topicName)) {
        problems.push(
          `spec.topic.name: "${topicName}" is reserved for ${what}; Kafka counts '.' and '_' as the same character`,
        );
      }
    }
  }
  return topicName;
}

function checkTopicConfig(config: Record<string, unknown>, problems: string[]): void {
  for (const [key, value] of Object.entries(config)) {
    if (typeof value !== 'string') problems.push(`spec.topic.config.${key}: must be a string`);
    else if (apiLength(value) > STRING_BOUNDS['topic.config']) {
      problems.push(`spec.topic.config.${key}: at most ${STRING_BOUNDS['topic.config']} characters`);
    }
  }
}

/** The enumerations, defaulted: the CRD admits only these values, an older CRD might not. */
function resolveChoices(
  spec: Spec,
  problems: string[],
): Pick<ResolvedSpec, 'deletionPolicy'> & {
  authentication: ResolvedSpec['producer']['intake']['authentication'];
} {
  const deletionPolicy = spec.deletionPolicy ?? SPEC_DEFAULTS.deletionPolicy;
  if (deletionPolicy !== 'Delete' && deletionPolicy !== 'Retain') {
    problems.push(`spec.deletionPolicy: must be Delete or Retain, got "${String(deletionPolicy)}"`);
  }
  const authentication =
    spec.producer?.intake?.authentication ?? SPEC_DEFAULTS.producer.intake.authentication;
  if (authentication !== 'None' && authentication !== 'Kubernetes') {
    problems.push(
      `spec.producer.intake.authentication: must be None or Kubernetes, got "${String(authentication)}"`,
    );
  }
  return { deletionPolicy, authentication };
}

function checkImageAndResources(spec: Spec, problems: string[]): void {
  if (spec.image !== undefined && (!IMAGE.test(spec.image) || apiLength(spec.image) > STRING_BOUNDS.image)) {
    problems.push(
      `spec.image: "${spec.image}" must be a non-empty image reference without spaces, at most ${STRING_BOUNDS.image} characters`,
    );
  }
  for (const kind of ['requests', 'limits'] as const) {
    for (const [resource, quantity] of Object.entries(spec.resources?.[kind] ?? {})) {
      if (!QUANTITY.test(String(quantity))) {
        problems.push(`spec.resources.${kind}.${resource}: "${String(quantity)}" is not a quantity`);
      }
    }
  }
}

/** Reads an integer field within SPEC_BOUNDS, defaulted, reporting it when out of bounds. */
function boundedInteger(problems: string[]) {
  return (field: keyof typeof SPEC_BOUNDS, value: number | undefined, fallback: number): number => {
    const [min, max] = SPEC_BOUNDS[field];
    const resolved = value ?? fallback;
    if (!Number.isInteger(resolved) || resolved < min || resolved > max) {
      problems.push(`spec.${field}: must be an integer from ${min} to ${max}, got ${String(resolved)}`);
    }
    return resolved;
  };
}

/** Reads a list field within LIST_BOUNDS, reporting each bad or duplicate entry by its index. */
function boundedList(problems: string[]) {
  return (field: keyof typeof LIST_BOUNDS, value: string[] | undefined): string[] => {
    const { min, max, maxLength } = LIST_BOUNDS[field];
    if (value === undefined) {
      problems.push(
        `spec.${field}: missing; the CRD defaults it, so the installed CRD is probably not this operator's (reinstall crds/)`,
      );
      return [];
    }
    if (value.length < min || value.length > max) {
      problems.push(`spec.${field}: must have ${min} to ${max} entries, got ${value.length}`);
    }
    const seen = new Set<string>();
    value.forEach((item, i) => {
      if (typeof item !== 'string' || !LIST_ITEM.test(item) || apiLength(item) > maxLength) {
        problems.push(
          `spec.${field}[${i}]: ${JSON.stringify(item)} must be 1 to ${maxLength} characters, without '|' or surrounding spaces`,
        );
      } else if (seen.has(item)) {
        problems.push(`spec.${field}[${i}]: duplicate "${item}"`);
      }
      seen.add(item);
    });
    return [...value];
  };
}

/** Thrown by functions that need a valid spec when given an invalid one. */
export class InvalidSpecError extends codedError('RATINGS_SPEC_INVALID', { errorClass: 'terminal' }) {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid spec: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

/** resolveSpec for callers that have already reported problems: throws InvalidSpecError. */
export function mustResolveSpec(exp: RatingExperiment, options: ResolveOptions = {}): ResolvedSpec {
  const result = resolveSpec(exp, options);
  if (!result.ok) throw new InvalidSpecError(result.problems);
  return result.spec;
}
