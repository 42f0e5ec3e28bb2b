import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JSONSchemaProps } from './crd.ts';
import { crdPath, loadCrd, parseCrd, versionSchema } from './crd.ts';
import { API_VERSION, CRD_NAME, GROUP, KIND, PLURAL, VERSION } from './v1alpha1.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const catalog = JSON.parse(readFileSync(join(repoRoot, '..', 'shared', 'catalog.json'), 'utf8')) as {
  voices: string[];
  battles: string[];
  scale: string[];
};

const crd = loadCrd();
const schema = versionSchema(crd, VERSION);
const spec = schema.properties?.spec as JSONSchemaProps;
const status = schema.properties?.status as JSONSchemaProps;
const specProp = (name: string): JSONSchemaProps => spec.properties?.[name] as JSONSchemaProps;

/** Every schema node with its path, depth first. */
function* walk(node: JSONSchemaProps, path: string): Generator<[string, JSONSchemaProps]> {
  yield [path, node];
  for (const [name, child] of Object.entries(node.properties ?? {})) yield* walk(child, `${path}.${name}`);
  if (node.items !== undefined) yield* walk(node.items, `${path}[]`);
  if (typeof node.additionalProperties === 'object') yield* walk(node.additionalProperties, `${path}{}`);
}

describe('the RatingExperiment CRD', () => {
  it('is found from the module and names the resource as the constants do', () => {
    expect(crdPath()).toBe(join(repoRoot, 'crds', 'ratings.conglombo.io_ratingexperiments.yaml'));
    expect(crd.metadata.name).toBe(CRD_NAME);
    expect(crd.spec.group).toBe(GROUP);
    expect(crd.spec.names).toMatchObject({ kind: KIND, plural: PLURAL, shortNames: ['rexp'] });
    expect(crd.spec.names.categories).toContain('ratings');
    expect(crd.spec.scope).toBe('Namespaced');
    expect(API_VERSION).toBe('ratings.conglombo.io/v1alpha1');
    const [version, ...others] = crd.spec.versions;
    expect(others).toHaveLength(0);
    expect(version).toMatchObject({
      name: VERSION,
      served: true,
      storage: true,
      subresources: { status: {} },
    });
  });

  it('defaults voices, battles and scale to the shared catalog', () => {
    expect(specProp('voices').default).toEqual(catalog.voices);
    expect(specProp('battles').default).toEqual(catalog.battles);
    expect(specProp('scale').default).toEqual(catalog.scale);
  });

  it('has defaults that satisfy their own bounds', () => {
    for (const name of ['voices', 'battles', 'scale']) {
      const prop = specProp(name);
      const values = prop.default as string[];
      const items = prop.items as JSONSchemaProps;
      expect(values.length).toBeGreaterThanOrEqual(prop.minItems ?? 0);
      expect(values.length).toBeLessThanOrEqual(prop.maxItems ?? Infinity);
      expect(new Set(values).size).toBe(values.length);
      for (const value of values) {
        expect(value).toMatch(new RegExp(items.pattern ?? ''));
        expect(value.length).toBeLessThanOrEqual(items.maxLength ?? Infinity);
      }
    }
  });

  it('describes every field, so that kubectl explain reads well', () => {
    // The API server forbids anything but `type` on metadata; kubectl explain uses ObjectMeta's.
    const undescribed = [...walk(schema, '')]
      .filter(([p, n]) => !n.description && p !== '.metadata')
      .map(([p]) => p);
    expect(undescribed).toEqual([]);
  });

  it('is structural: every node has a type, except int-or-string', () => {
    const untyped = [...walk(schema, '')]
      .filter(([, n]) => n.type === undefined && n['x-kubernetes-int-or-string'] !== true)
      .map(([p]) => p);
    expect(untyped).toEqual([]);
  });

  it('gives every validation rule a message', () => {
    const rules = [...walk(schema, '')].flatMap(([p, n]) =>
      (n['x-kubernetes-validations'] ?? []).map((r) => ({ path: p, ...r })),
    );
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) expect(rule.message ?? rule.messageExpression).toBeTruthy();
  });

  it('refuses duplicates in voices, battles and scale', () => {
    for (const name of ['voices', 'battles', 'scale'])
      expect(specProp(name)['x-kubernetes-list-type']).toBe('set');
  });

  it('requires the Kafka reference', () => {
    expect(spec.required).toContain('kafka');
    expect(specProp('kafka').required).toEqual(['cluster', 'namespace']);
  });

  it('keeps the status bounded and merges lists by key', () => {
    const props = status.properties ?? {};
    expect(props.partitions).toMatchObject({
      maxItems: 64,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['partition'],
    });
    expect(props.conditions).toMatchObject({
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    });
    // A full catalog (32 voices) plus as many that left it; the rest are folded into otherVoices.
    expect(props.totals?.maxItems).toBe(64);
    expect(props.previousTopics?.maxItems).toBe(32);
    expect(props.battles?.maxItems).toBe(64);
    const checkpoint = props.partitions?.items as { properties: Record<string, { maxProperties?: number }> };
    expect(checkpoint.properties.battleCounts?.maxProperties).toBe(32);
    expect(checkpoint.properties.squares?.maxProperties).toBe(64);
    expect(Object.keys(props).sort()).toEqual(
      [
        'observedGeneration',
        'conditions',
        'topic',
        'topicId',
        'bootstrapServers',
        'totals',
        'leader',
        'produced',
        'counted',
        'rejected',
        'lost',
        'otherVoices',
        'battles',
        'otherBattles',
        'previousTopics',
        'lag',
        'partitions',
        'checkpointedAt',
      ].sort(),
    );
  });

  it('prints READY, TOPIC, PRODUCED, COUNTED, EXACT, LEADER and AGE', () => {
    const columns = crd.spec.versions[0]?.additionalPrinterColumns ?? [];
    expect(columns.map((c) => c.name.toUpperCase())).toEqual([
      'READY',
      'TOPIC',
      'PRODUCED',
      'COUNTED',
      'EXACT',
      'LEADER',
      'AGE',
    ]);
    expect(columns[0]?.jsonPath).toBe('.status.conditions[?(@.type=="Ready")].status');
    expect(columns[4]?.jsonPath).toBe('.status.conditions[?(@.type=="TotalsExact")].status');
  });

  it('rejects documents that are not CRDs', () => {
    expect(() => parseCrd('kind: ConfigMap\napiVersion: v1\n')).toThrow(/not an apiextensions/);
  });
});
