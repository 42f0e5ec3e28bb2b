// Admission of RatingExperiments by a real API server: the CRD of crds/ is installed, then each
// rule the schema and its CEL expressions promise is exercised, and the refusal must name the
// field. Runs against the local stack (KUBECONFIG, else .local/stack.env).
import { request as httpsRequest } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { installRatingsCrd } from '../../e2e/stack/harness.ts';
import { readStackEnv } from '../../e2e/stack/stack.ts';
import type { RatingExperiment, RatingExperimentSpec } from './v1alpha1.ts';
import { API_VERSION, GROUP, KIND, PLURAL, VERSION } from './v1alpha1.ts';

interface Response {
  status: number;
  body: { message?: string; [key: string]: unknown };
}

const kubeConfig = new KubeConfig();
const kubeconfigPath = process.env.KUBECONFIG ?? readStackEnv().KUBECONFIG;
kubeConfig.loadFromFile(kubeconfigPath);

/** A raw JSON request: the generated clients rename x-kubernetes-* fields of a CRD. */
async function api(
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<Response> {
  const server = kubeConfig.getCurrentCluster()?.server;
  if (server === undefined) throw new Error('the kubeconfig has no current cluster');
  const url = new URL(path, server);
  const options: Parameters<typeof httpsRequest>[1] = {
    method,
    headers: { Accept: 'application/json', ...(body !== undefined && { 'Content-Type': contentType }) },
  };
  await kubeConfig.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          body: text === '' ? {} : (JSON.parse(text) as Response['body']),
        });
      });
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const namespace = `admission-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
const collection = `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}`;
let serial = 0;

function experiment(
  spec: Partial<RatingExperimentSpec> | Record<string, unknown> = {},
  name?: string,
): RatingExperiment {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: name ?? `exp-${++serial}` },
    spec: { kafka: { cluster: 'kafka', namespace: 'queuing' }, ...spec } as RatingExperimentSpec,
  };
}

const create = (body: unknown, query = '') => api('POST', `${collection}${query}`, body);
const mergePatch = (name: string, patch: unknown) =>
  api('PATCH', `${collection}/${name}`, patch, 'application/merge-patch+json');

/** Asserts a 422 whose message names the field and says why. */
function expectRefused(res: Response, ...fragments: (string | RegExp)[]): void {
  expect({ status: res.status, message: res.body.message }).toEqual({
    status: 422,
    message: expect.any(String),
  });
  for (const f of fragments) expect(res.body.message).toMatch(f);
}

beforeAll(async () => {
  await installRatingsCrd(kubeconfigPath);
  const ns = await api('POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: namespace },
  });
  expect(ns.status).toBe(201);
});

afterAll(async () => {
  await api('DELETE', `/api/v1/namespaces/${namespace}`);
});

describe('RatingExperiment admission', () => {
  it('accepts a minimal experiment and stores it with the defaults', async () => {
    const res = await create(experiment({}, 'minimal'));
    expect(res.status).toBe(201);
    const spec = (res.body as unknown as RatingExperiment).spec;
    expect(spec.topic).toEqual({ partitions: 3, replicas: 1 });
    expect(spec.producer).toEqual({
      replicas: 1,
      ratingsPerSecond: 5,
      workers: 0,
      intake: { authentication: 'None' },
    });
    expect(spec.consumer).toEqual({ replicas: 2, checkpointIntervalSeconds: 5, workers: 1 });
    expect(spec.deletionPolicy).toBe('Delete');
    expect(spec.voices).toHaveLength(10);
    expect(spec.battles).toHaveLength(63);
    expect(spec.scale).toEqual(['Hated', 'Meh', 'Liked']);
  });

  it('prints READY, TOPIC, PRODUCED, COUNTED, EXACT, LEADER and AGE', async () => {
    const server = kubeConfig.getCurrentCluster()?.server ?? '';
    const options: Parameters<typeof httpsRequest>[1] = {
      headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
    };
    await kubeConfig.applyToHTTPSOptions(options);
    const table = await new Promise<{ columnDefinitions: { name: string }[] }>((resolve, reject) => {
      httpsRequest(new URL(collection, server), options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      })
        .on('error', reject)
        .end();
    });
    expect(table.columnDefinitions.map((c) => c.name)).toEqual([
      'Name',
      'Ready',
      'Topic',
      'Produced',
      'Counted',
      'Exact',
      'Leader',
      'Age',
    ]);
  });

  it('refuses an experiment without spec', async () => {
    expectRefused(
      await create({ apiVersion: API_VERSION, kind: KIND, metadata: { name: 'nospec' } }),
      /spec: Required value/,
    );
  });

  it('refuses a missing Kafka reference', async () => {
    expectRefused(
      await create({ ...experiment(), spec: { voices: ['A', 'B'] } }),
      /spec\.kafka: Required value/,
    );
    expectRefused(
      await create(experiment({ kafka: { namespace: 'queuing' } })),
      /spec\.kafka\.cluster: Required value/,
    );
    expectRefused(
      await create(experiment({ kafka: { cluster: 'kafka' } })),
      /spec\.kafka\.namespace: Required value/,
    );
  });

  it('refuses fewer than two voices', async () => {
    expectRefused(await create(experiment({ voices: ['Solo'] })), /spec\.voices/, /at least 2 items/);
  });

  it('refuses more than 32 voices', async () => {
    const voices = Array.from({ length: 33 }, (_, i) => `Voice ${i}`);
    expectRefused(await create(experiment({ voices })), /spec\.voices/, /at most 32 items/);
  });

  it('refuses duplicate voices', async () => {
    expectRefused(
      await create(experiment({ voices: ['A', 'B', 'A'] })),
      /spec\.voices\[2\]: Duplicate value: "A"/,
    );
  });

  it('refuses empty, padded or piped voice names', async () => {
    expectRefused(await create(experiment({ voices: ['A', ''] })), /spec\.voices\[1\]/);
    expectRefused(await create(experiment({ voices: ['A', ' B'] })), /spec\.voices\[1\]/, /should match/);
    expectRefused(await create(experiment({ voices: ['A', 'B|C'] })), /spec\.voices\[1\]/, /should match/);
  });

  it('refuses an empty battle list and duplicate battles', async () => {
    expectRefused(await create(experiment({ battles: [] })), /spec\.battles/, /at least 1 items/);
    expectRefused(
      await create(experiment({ battles: ['X vs Y', 'X vs Y'] })),
      /spec\.battles\[1\]: Duplicate value/,
    );
  });

  it('refuses a scale of one label or with duplicate labels', async () => {
    expectRefused(await create(experiment({ scale: ['Only'] })), /spec\.scale/, /at least 2 items/);
    expectRefused(
      await create(experiment({ scale: ['Meh', 'Meh'] })),
      /spec\.scale\[1\]: Duplicate value: "Meh"/,
    );
  });

  it.each<[string, Partial<RatingExperimentSpec>, RegExp]>([
    [
      'partitions below 1',
      { topic: { partitions: 0 } },
      /spec\.topic\.partitions: Invalid value: 0: .*greater than or equal to 1/,
    ],
    [
      'partitions above 64',
      { topic: { partitions: 65 } },
      /spec\.topic\.partitions: Invalid value: 65: .*less than or equal to 64/,
    ],
    ['topic replicas above 10', { topic: { replicas: 11 } }, /spec\.topic\.replicas/],
    ['producer replicas above 10', { producer: { replicas: 11 } }, /spec\.producer\.replicas/],
    ['a negative rate', { producer: { ratingsPerSecond: -1 } }, /spec\.producer\.ratingsPerSecond/],
    ['a rate above 100000', { producer: { ratingsPerSecond: 100_001 } }, /spec\.producer\.ratingsPerSecond/],
    ['negative generating threads', { producer: { workers: -1 } }, /spec\.producer\.workers/],
    ['more than 16 generating threads', { producer: { workers: 17 } }, /spec\.producer\.workers/],
    ['no counting thread', { consumer: { workers: 0 } }, /spec\.consumer\.workers/],
    ['more than 16 counting threads', { consumer: { workers: 17 } }, /spec\.consumer\.workers/],
    ['consumer replicas above 10', { consumer: { replicas: 11 } }, /spec\.consumer\.replicas/],
    [
      'a checkpoint interval of 0',
      { consumer: { checkpointIntervalSeconds: 0 } },
      /spec\.consumer\.checkpointIntervalSeconds/,
    ],
    [
      'a checkpoint interval above 300',
      { consumer: { checkpointIntervalSeconds: 301 } },
      /spec\.consumer\.checkpointIntervalSeconds/,
    ],
  ])('refuses %s', async (_what, spec, message) => {
    expectRefused(await create(experiment(spec)), message);
  });

  it('refuses an illegal topic name', async () => {
    expectRefused(
      await create(experiment({ topic: { name: 'bad name!' } })),
      /spec\.topic\.name/,
      /should match/,
    );
    expectRefused(await create(experiment({ topic: { name: 'x'.repeat(250) } })), /spec\.topic\.name/);
  });

  it.each([
    '__consumer_offsets',
    '__transaction_state',
    '__share_group_state',
    '__strimzi_store_topic',
    '_.consumer_offsets',
  ])("refuses Kafka's internal topic %s", async (name) => {
    expectRefused(
      await create(experiment({ topic: { name } })),
      /spec\.topic\.name: .*spec\.topic\.name must not begin with '__'/,
      /internal topics/,
    );
  });

  it.each(['strimzi.cruisecontrol.metrics', 'strimzi_cruisecontrol.x'])(
    "refuses Cruise Control's topic %s",
    async (name) => {
      expectRefused(
        await create(experiment({ topic: { name } })),
        /spec\.topic\.name: .*spec\.topic\.name must not begin with 'strimzi\.cruisecontrol\.'/,
      );
    },
  );

  it("refuses the topic names '.' and '..'", async () => {
    for (const name of ['.', '..']) {
      expectRefused(await create(experiment({ topic: { name } })), /spec\.topic\.name/, /'\.' or '\.\.'/);
    }
  });

  it('refuses a Kafka cluster name longer than a label value, as it becomes strimzi.io/cluster', async () => {
    expectRefused(
      await create(experiment({ kafka: { cluster: 'k'.repeat(64), namespace: 'queuing' } })),
      /spec\.kafka\.cluster: Too long/,
    );
    expect(
      (await create(experiment({ kafka: { cluster: 'k'.repeat(63), namespace: 'queuing' } }))).status,
    ).toBe(201);
  });

  // What the controller's rules (src/model/spec.ts) and their property tests assume of the API
  // server: lengths in characters, and RE2's \s, which takes neither \v nor NBSP nor U+2028.
  it('counts lengths in characters, not UTF-16 units', async () => {
    expect((await create(experiment({ voices: ['😀'.repeat(64), 'B'] }))).status).toBe(201);
    expectRefused(
      await create(experiment({ voices: ['😀'.repeat(65), 'B'] })),
      /spec\.voices\[0\]: Too long/,
    );
  });

  it('reads \\s as RE2 does: \\v, NBSP and U+2028 are not spaces', async () => {
    expect((await create(experiment({ voices: ['\vA', '\u00a0B', 'C\u2028'] }))).status).toBe(201);
    expect((await create(experiment({ image: 'img\u00a0:1' }))).status).toBe(201);
    expectRefused(await create(experiment({ voices: ['\tA', 'B'] })), /spec\.voices\[0\]/, /should match/);
  });

  it('refuses an unknown deletionPolicy', async () => {
    expectRefused(
      await create(experiment({ deletionPolicy: 'Keep' as 'Retain' })),
      /spec\.deletionPolicy: Unsupported value: "Keep": supported values: "Delete", "Retain"/,
    );
  });

  it('refuses a malformed bootstrap override and listener name', async () => {
    expectRefused(
      await create(experiment({ kafka: { cluster: 'k', namespace: 'q', bootstrapServers: 'no-port' } })),
      /spec\.kafka\.bootstrapServers/,
    );
    expectRefused(
      await create(experiment({ kafka: { cluster: 'k', namespace: 'q', listener: 'Bad_Name' } })),
      /spec\.kafka\.listener/,
    );
  });

  it('refuses a resource quantity that is not one', async () => {
    expectRefused(
      await create(experiment({ resources: { limits: { memory: '1 GB' } } })),
      /spec\.resources\.limits\.memory/,
    );
  });

  it('refuses a name too long for the Services it prefixes', async () => {
    expectRefused(
      await create(experiment({}, `a${'b'.repeat(54)}`)),
      /metadata\.name must be a DNS-1035 label of at most 54 characters/,
    );
  });

  it('refuses unknown fields when the client asks for strict validation', async () => {
    const res = await create(experiment({ voicez: ['A', 'B'] }), '?fieldValidation=Strict');
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/unknown field "spec\.voicez"/);
  });

  describe('the topic', () => {
    it('cannot be renamed', async () => {
      expect((await create(experiment({ topic: { name: 'first' } }, 'rename'))).status).toBe(201);
      expectRefused(
        await mergePatch('rename', { spec: { topic: { name: 'second' } } }),
        /spec\.topic\.name is immutable/,
      );
    });

    it('cannot be named after creation', async () => {
      expect((await create(experiment({}, 'name-later'))).status).toBe(201);
      expectRefused(
        await mergePatch('name-later', { spec: { topic: { name: 'later' } } }),
        /spec\.topic\.name is immutable/,
      );
    });

    it('cannot lose its name', async () => {
      expect((await create(experiment({ topic: { name: 'kept' } }, 'unname'))).status).toBe(201);
      expectRefused(
        await mergePatch('unname', { spec: { topic: { name: null } } }),
        /spec\.topic\.name is immutable/,
      );
      expectRefused(await mergePatch('unname', { spec: { topic: null } }), /spec\.topic\.name is immutable/);
    });

    it('can grow partitions but not shrink them', async () => {
      expect((await create(experiment({ topic: { partitions: 4 } }, 'partitions'))).status).toBe(201);
      expect((await mergePatch('partitions', { spec: { topic: { partitions: 8 } } })).status).toBe(200);
      expectRefused(
        await mergePatch('partitions', { spec: { topic: { partitions: 2 } } }),
        /spec\.topic\.partitions cannot be decreased/,
      );
    });

    it('stays on its Kafka cluster', async () => {
      expect((await create(experiment({}, 'cluster'))).status).toBe(201);
      expectRefused(
        await mergePatch('cluster', { spec: { kafka: { cluster: 'other' } } }),
        /spec\.kafka\.cluster is immutable/,
      );
      expectRefused(
        await mergePatch('cluster', { spec: { kafka: { namespace: 'other' } } }),
        /spec\.kafka\.namespace is immutable/,
      );
    });

    it('accepts other changes', async () => {
      expect((await create(experiment({}, 'mutable'))).status).toBe(201);
      const res = await mergePatch('mutable', {
        spec: { producer: { replicas: 3 }, voices: ['A', 'B'], deletionPolicy: 'Retain' },
      });
      expect(res.status).toBe(200);
    });
  });
});
