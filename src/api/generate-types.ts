// Generates src/api/v1alpha1.generated.ts from the CRD's openAPIV3Schema, so that the CRD stays
// the single source of the API. Run with `npm run generate:types`; a unit test fails when the
// committed file drifts from the CRD.
import { writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CustomResourceDefinition, JSONSchemaProps } from './crd.ts';
import { crdPath, loadCrd, versionSchema } from './crd.ts';
import { describeFailure } from '../common/errors.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** Where the generated types live. */
export const GENERATED_FILE = join(here, 'v1alpha1.generated.ts');

/**
 * Interface names for the objects of the schema, by path (`.` between properties, `[]` for the
 * items of an array). Objects not listed are named after their parent and property.
 */
const NAMES: Record<string, string> = {
  '': 'RatingExperiment',
  spec: 'RatingExperimentSpec',
  status: 'RatingExperimentStatus',
  'spec.kafka': 'KafkaReference',
  'spec.topic': 'TopicSpec',
  'spec.producer': 'ProducerSpec',
  'spec.consumer': 'ConsumerSpec',
  'spec.resources': 'ResourceRequirements',
  'status.conditions[]': 'Condition',
  'status.totals[]': 'VoiceTotal',
  'status.partitions[]': 'PartitionCheckpoint',
  'status.otherVoices': 'OtherVoices',
  'status.battles[]': 'BattleTotal',
  'status.otherBattles': 'OtherBattles',
  'status.previousTopics[]': 'PreviousTopic',
  'status.previousTopics[].offsets[]': 'PartitionOffset',
};

/** Schema nodes typed by an existing Kubernetes type instead of a generated one. */
const EXTERNAL: Record<string, string> = { metadata: 'V1ObjectMeta' };

/** Defaults longer than this are summarised in doc comments rather than printed in full. */
const MAX_INLINE_DEFAULT = 100;

interface Interface {
  name: string;
  schema: JSONSchemaProps;
  path: string;
}

function pascal(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function nameFor(path: string, parentName: string, property: string): string {
  return NAMES[path] ?? `${parentName}${pascal(property)}`;
}

/** Width of doc comment text. */
const WRAP_AT = 96;

/** Greedy word wrap, keeping the paragraph breaks of the description. */
function wrap(text: string, width: number): string[] {
  return text.split('\n').flatMap((paragraph) => {
    const lines: string[] = [];
    let line = '';
    for (const word of paragraph.split(/\s+/).filter((w) => w !== '')) {
      if (line !== '' && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line === '' ? word : `${line} ${word}`;
      }
    }
    lines.push(line);
    return lines;
  });
}

/** Doc comment text may not close the comment. */
function commentSafe(text: string): string {
  return text.replaceAll('*/', '*\\/');
}

function docLines(schema: JSONSchemaProps): string[] {
  const lines: string[] = [];
  if (schema.description !== undefined) lines.push(...wrap(schema.description.trim(), WRAP_AT));
  const tags: [string, unknown][] = [
    ['format', schema.format],
    ['minimum', schema.minimum],
    ['maximum', schema.maximum],
    ['minLength', schema.minLength],
    ['maxLength', schema.maxLength],
    ['minItems', schema.minItems],
    ['maxItems', schema.maxItems],
    ['maxProperties', schema.maxProperties],
    ['pattern', schema.pattern],
    ['listType', schema['x-kubernetes-list-type']],
    ['listMapKeys', schema['x-kubernetes-list-map-keys']?.join(', ')],
  ];
  for (const [tag, value] of tags) {
    if (value !== undefined) lines.push(`@${tag} ${String(value)}`);
  }
  if (schema.default !== undefined) {
    const json = JSON.stringify(schema.default);
    lines.push(
      json.length <= MAX_INLINE_DEFAULT
        ? `@default ${json}`
        : `@default ${Array.isArray(schema.default) ? `${schema.default.length} items, ` : ''}see the CRD`,
    );
  }
  for (const rule of schema['x-kubernetes-validations'] ?? []) {
    lines.push(...wrap(`@validation ${rule.message ?? rule.messageExpression ?? rule.rule}`, WRAP_AT));
  }
  return lines.map(commentSafe);
}

function docComment(schema: JSONSchemaProps, indent: string): string {
  const lines = docLines(schema);
  if (lines.length === 0) return '';
  return `${indent}/**\n${lines.map((l) => `${indent} *${l === '' ? '' : ` ${l}`}`).join('\n')}\n${indent} */\n`;
}

function literal(value: unknown): string {
  return typeof value === 'string'
    ? `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
    : String(value);
}

/** Renders a TypeScript type for a schema node, queueing interfaces for nested objects. */
function typeOf(schema: JSONSchemaProps, path: string, name: string, queue: Interface[]): string {
  if (schema['x-kubernetes-int-or-string'] === true) return 'number | string';
  if (schema.enum !== undefined) return schema.enum.map(literal).join(' | ');
  switch (schema.type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array': {
      if (schema.items === undefined) throw new Error(`${path || '<root>'}: array without items`);
      const item = typeOf(schema.items, `${path}[]`, NAMES[`${path}[]`] ?? `${name}Item`, queue);
      return item.includes(' ') ? `(${item})[]` : `${item}[]`;
    }
    case 'object': {
      if (schema.properties !== undefined) {
        queue.push({ name, schema, path });
        return name;
      }
      const values = schema.additionalProperties;
      if (typeof values === 'object')
        return `Record<string, ${typeOf(values, `${path}{}`, `${name}Value`, queue)}>`;
      return 'Record<string, unknown>';
    }
    default:
      if (schema['x-kubernetes-preserve-unknown-fields'] === true) return 'unknown';
      throw new Error(`${path || '<root>'}: no type`);
  }
}

function renderInterface(iface: Interface, queue: Interface[]): string {
  const required = new Set(iface.schema.required ?? []);
  const members = Object.entries(iface.schema.properties ?? {}).map(([property, schema]) => {
    const path = iface.path === '' ? property : `${iface.path}.${property}`;
    const type = EXTERNAL[path] ?? typeOf(schema, path, nameFor(path, iface.name, property), queue);
    const optional = required.has(property) ? '' : '?';
    return `${docComment(schema, '  ')}  ${property}${optional}: ${type};`;
  });
  return `${docComment(iface.schema, '')}export interface ${iface.name} {\n${members.join('\n')}\n}\n`;
}

/** The TypeScript source for one version of the CRD, before formatting. */
export function generateTypes(crd: CustomResourceDefinition, version: string, source: string): string {
  const schema = versionSchema(crd, version);
  const { kind, listKind = `${crd.spec.names.kind}List` } = crd.spec.names;
  const queue: Interface[] = [{ name: NAMES[''] ?? kind, schema, path: '' }];
  const rendered: string[] = [];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    rendered.push(renderInterface(next, queue));
  }
  const header = [
    `// Code generated by src/api/generate-types.ts from ${source}; DO NOT EDIT.`,
    '// Regenerate with `npm run generate:types` after changing the CRD.',
    `import type { V1ListMeta, V1ObjectMeta } from '@kubernetes/client-node';`,
    '',
  ].join('\n');
  const list = [
    `/** A list of ${kind} objects. */`,
    `export interface ${listKind} {`,
    '  apiVersion?: string;',
    '  kind?: string;',
    '  metadata?: V1ListMeta;',
    `  items: ${kind}[];`,
    '}',
    '',
  ].join('\n');
  return [header, ...rendered, list].join('\n');
}

/** The generated source, formatted as the repository's prettier configuration wants it. */
export async function renderTypes(crd: CustomResourceDefinition, source: string): Promise<string> {
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(GENERATED_FILE)) ?? {};
  return prettier.format(generateTypes(crd, 'v1alpha1', source), { ...options, filepath: GENERATED_FILE });
}

/** The source path as written into the generated header (stable across machines). */
export function crdSource(): string {
  return relative(join(here, '..', '..'), crdPath())
    .split('\\')
    .join('/');
}

async function main(): Promise<void> {
  writeFileSync(GENERATED_FILE, await renderTypes(loadCrd(), crdSource()));
  process.stdout.write(`wrote ${relative(process.cwd(), GENERATED_FILE)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${describeFailure(err)}\n`);
    process.exit(1);
  });
}
