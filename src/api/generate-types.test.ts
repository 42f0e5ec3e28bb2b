import { readFileSync } from 'node:fs';
import { loadCrd } from './crd.ts';
import { GENERATED_FILE, crdSource, generateTypes, renderTypes } from './generate-types.ts';

describe('generated types', () => {
  it('match the CRD (run `npm run generate:types` when this fails)', async () => {
    const committed = readFileSync(GENERATED_FILE, 'utf8');
    expect(await renderTypes(loadCrd(), crdSource())).toBe(committed);
  });

  it('carry descriptions, enums, maps and int-or-string', () => {
    const source = generateTypes(loadCrd(), 'v1alpha1', 'test');
    expect(source).toContain("deletionPolicy?: 'Delete' | 'Retain';");
    expect(source).toContain('kafka: KafkaReference;');
    expect(source).toContain('sums?: Record<string, number>;');
    expect(source).toContain('requests?: Record<string, number | string>;');
    expect(source).toContain('conditions?: Condition[];');
    expect(source).toMatch(/\* Name of the Strimzi Kafka resource, at most 63 characters: it becomes/);
    expect(source).not.toMatch(/\*\/\)/);
  });
});
