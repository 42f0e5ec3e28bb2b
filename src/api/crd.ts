// The CustomResourceDefinition of crds/ as plain JSON, the shape it has on the wire and in YAML.
// (The @kubernetes/client-node model classes rename x-kubernetes-* fields, so they do not fit
// an object read straight from YAML.)
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load as loadYaml } from 'js-yaml';

/** A validation rule of `x-kubernetes-validations`. */
export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  fieldPath?: string;
  reason?: string;
  optionalOldSelf?: boolean;
}

/** The subset of apiextensions.k8s.io/v1 JSONSchemaProps that structural schemas use. */
export interface JSONSchemaProps {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description?: string;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps | boolean;
  items?: JSONSchemaProps;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  pattern?: string;
  anyOf?: JSONSchemaProps[];
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-validations'?: ValidationRule[];
}

export interface CustomResourceColumnDefinition {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  format?: string;
  priority?: number;
}

export interface CustomResourceDefinitionVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema: { openAPIV3Schema: JSONSchemaProps };
  subresources?: { status?: Record<string, never>; scale?: Record<string, string> };
  additionalPrinterColumns?: CustomResourceColumnDefinition[];
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    group: string;
    scope: 'Namespaced' | 'Cluster';
    names: {
      kind: string;
      listKind?: string;
      plural: string;
      singular?: string;
      shortNames?: string[];
      categories?: string[];
    };
    versions: CustomResourceDefinitionVersion[];
  };
}

/** Path of the RatingExperiment CRD: `crds/` at the repository (or package) root. */
export const CRD_FILE = 'ratings.conglombo.io_ratingexperiments.yaml';

/**
 * Locates `crds/<CRD_FILE>` by walking up from this module, so that it is found from `src/api`
 * (tests, `node src/...`) as well as from the compiled `dist/api`.
 */
export function crdPath(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const candidate = join(dir, 'crds', CRD_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`crds/${CRD_FILE} not found above ${from}`);
    dir = parent;
  }
}

/** Parses a CRD document; throws when it is not a single CustomResourceDefinition. */
export function parseCrd(text: string, source = 'CRD'): CustomResourceDefinition {
  const doc = loadYaml(text) as Partial<CustomResourceDefinition> | undefined;
  if (doc?.apiVersion !== 'apiextensions.k8s.io/v1' || doc.kind !== 'CustomResourceDefinition') {
    throw new Error(`${source} is not an apiextensions.k8s.io/v1 CustomResourceDefinition`);
  }
  return doc as CustomResourceDefinition;
}

let cached: CustomResourceDefinition | undefined;

/** The RatingExperiment CRD as read from crds/ (read once, then shared: do not mutate it). */
export function loadCrd(): CustomResourceDefinition {
  if (cached === undefined) {
    const path = crdPath();
    cached = parseCrd(readFileSync(path, 'utf8'), path);
  }
  return cached;
}

/** The openAPIV3Schema of one version of a CRD. */
export function versionSchema(crd: CustomResourceDefinition, version: string): JSONSchemaProps {
  const found = crd.spec.versions.find((v) => v.name === version);
  if (found === undefined) throw new Error(`${crd.metadata.name} has no version ${version}`);
  return found.schema.openAPIV3Schema;
}
