import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import type { RatingExperiment, RatingExperimentSpec } from '../api/v1alpha1.ts';
import { defaultedExperiment as experiment } from './experiment.fixtures.ts';
import { InvalidSpecError } from './spec.ts';
import { childList, desiredChildren } from './children.ts';
import { ownerReference } from './metadata.ts';

const options = { image: 'ghcr.io/conglombo/ratings-operator:0.1.0', bootstrapServers: 'kafka:9092' };

/**
 * The checks of the `restricted` Pod Security Standard (v1.36) that apply to a pod spec; returns
 * the violations.
 */
function restrictedViolations(pod: V1PodSpec): string[] {
  const v: string[] = [];
  const containers: V1Container[] = [...pod.containers, ...(pod.initContainers ?? [])];
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) v.push('host namespaces');
  const allowedVolumes = [
    'configMap',
    'csi',
    'downwardAPI',
    'emptyDir',
    'ephemeral',
    'persistentVolumeClaim',
    'projected',
    'secret',
  ];
  for (const volume of pod.volumes ?? []) {
    const kinds = Object.keys(volume).filter((k) => k !== 'name');
    if (!kinds.every((k) => allowedVolumes.includes(k))) v.push(`volume ${volume.name}: ${kinds.join()}`);
  }
  const podSc = pod.securityContext ?? {};
  if (podSc.runAsUser === 0) v.push('pod runAsUser 0');
  if (!['RuntimeDefault', 'Localhost'].includes(podSc.seccompProfile?.type ?? '')) {
    if (
      containers.some(
        (c) => !['RuntimeDefault', 'Localhost'].includes(c.securityContext?.seccompProfile?.type ?? ''),
      )
    ) {
      v.push('seccompProfile');
    }
  }
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    if (sc.privileged) v.push(`${c.name}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) v.push(`${c.name}: allowPrivilegeEscalation`);
    if (!(sc.runAsNonRoot ?? podSc.runAsNonRoot)) v.push(`${c.name}: runAsNonRoot`);
    if (sc.runAsUser === 0) v.push(`${c.name}: runAsUser 0`);
    if (!sc.capabilities?.drop?.includes('ALL')) v.push(`${c.name}: capabilities.drop ALL`);
    if ((sc.capabilities?.add ?? []).some((cap) => cap !== 'NET_BIND_SERVICE'))
      v.push(`${c.name}: capabilities.add`);
    if ((c.ports ?? []).some((p) => p.hostPort)) v.push(`${c.name}: hostPort`);
    if (sc.procMount !== undefined && sc.procMount !== 'Default') v.push(`${c.name}: procMount`);
  }
  return v;
}

describe('desiredChildren', () => {
  const exp = experiment();
  const children = desiredChildren(exp, options);
  const namespaced = childList(children).slice(0, 7);

  it('names, kinds and places every child', () => {
    expect(
      childList(children).map((o) => [o.apiVersion, o.kind, o.metadata?.namespace, o.metadata?.name]),
    ).toEqual([
      ['v1', 'ServiceAccount', 'appdev', 'erb-voices-ratings'],
      ['rbac.authorization.k8s.io/v1', 'Role', 'appdev', 'erb-voices-ratings'],
      ['rbac.authorization.k8s.io/v1', 'RoleBinding', 'appdev', 'erb-voices-ratings'],
      ['v1', 'Service', 'appdev', 'erb-voices-producer'],
      ['v1', 'Service', 'appdev', 'erb-voices-consumer'],
      ['policy/v1', 'PodDisruptionBudget', 'appdev', 'erb-voices-producer'],
      ['policy/v1', 'PodDisruptionBudget', 'appdev', 'erb-voices-consumer'],
      ['apps/v1', 'Deployment', 'appdev', 'erb-voices-producer'],
      ['apps/v1', 'Deployment', 'appdev', 'erb-voices-consumer'],
      ['kafka.strimzi.io/v1', 'KafkaTopic', 'queuing', 'appdev.erb-voices-ratings'],
    ]);
  });

  it('lets one pod of each role be evicted at a time, even with one replica, and never holds a drain on unready pods', () => {
    for (const [budget, deployment] of [
      [children.producerDisruptionBudget, children.producerDeployment],
      [children.consumerDisruptionBudget, children.consumerDeployment],
    ] as const) {
      expect(budget.spec).toEqual({
        maxUnavailable: 1,
        selector: deployment.spec?.selector,
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      });
    }
  });

  it('spreads the replicas of each role over nodes where it can, and still schedules on one node', () => {
    for (const deployment of [children.producerDeployment, children.consumerDeployment]) {
      expect(deployment.spec?.template.spec?.topologySpreadConstraints).toEqual([
        {
          maxSkew: 1,
          topologyKey: 'kubernetes.io/hostname',
          whenUnsatisfiable: 'ScheduleAnyway',
          labelSelector: deployment.spec?.selector,
          matchLabelKeys: ['pod-template-hash'],
        },
      ]);
    }
  });

  it('makes the experiment the controller of every child in its namespace', () => {
    const owner = {
      apiVersion: 'ratings.conglombo.io/v1alpha1',
      kind: 'RatingExperiment',
      name: 'erb-voices',
      uid: 'uid-1',
      controller: true,
      blockOwnerDeletion: true,
    };
    expect(ownerReference(exp)).toEqual(owner);
    for (const child of namespaced) expect(child.metadata?.ownerReferences).toEqual([owner]);
    for (const child of childList(children)) {
      expect(child.metadata?.labels?.['app.kubernetes.io/managed-by']).toBe('ratings-operator');
    }
  });

  it('tracks the KafkaTopic by labels, since owner references cannot cross namespaces', () => {
    expect(children.kafkaTopic).toEqual({
      apiVersion: 'kafka.strimzi.io/v1',
      kind: 'KafkaTopic',
      metadata: {
        name: 'appdev.erb-voices-ratings',
        namespace: 'queuing',
        labels: {
          'app.kubernetes.io/name': 'rating-experiment',
          'app.kubernetes.io/instance': 'erb-voices',
          'app.kubernetes.io/component': 'topic',
          'app.kubernetes.io/part-of': 'ratings',
          'app.kubernetes.io/managed-by': 'ratings-operator',
          'strimzi.io/cluster': 'kafka',
          'ratings.conglombo.io/experiment-namespace': 'appdev',
          'ratings.conglombo.io/experiment-name': 'erb-voices',
        },
      },
      spec: { topicName: 'appdev.erb-voices-ratings', partitions: 3, replicas: 1 },
    });
  });

  it('passes topic config through with sorted keys and a Kubernetes name for any topic name', () => {
    const topic = desiredChildren(
      experiment({
        topic: {
          name: 'Erb_Ratings',
          partitions: 6,
          replicas: 3,
          config: { 'retention.ms': '1', 'cleanup.policy': 'delete' },
        },
      }),
      options,
    ).kafkaTopic;
    expect(topic.metadata?.name).toMatch(/^erb-ratings-[0-9a-f]{8}$/);
    expect(topic.spec).toEqual({
      topicName: 'Erb_Ratings',
      partitions: 6,
      replicas: 3,
      config: { 'cleanup.policy': 'delete', 'retention.ms': '1' },
    });
    expect(Object.keys(topic.spec?.config ?? {})).toEqual(['cleanup.policy', 'retention.ms']);
  });

  it('lets the pods read their experiment and write its status, nothing more', () => {
    expect(children.role.rules).toEqual([
      {
        apiGroups: ['ratings.conglombo.io'],
        resources: ['ratingexperiments'],
        resourceNames: ['erb-voices'],
        verbs: ['get'],
      },
      {
        apiGroups: ['ratings.conglombo.io'],
        resources: ['ratingexperiments/status'],
        resourceNames: ['erb-voices'],
        verbs: ['get', 'update', 'patch'],
      },
    ]);
    expect(children.roleBinding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'erb-voices-ratings',
    });
    expect(children.roleBinding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'erb-voices-ratings', namespace: 'appdev' },
    ]);
  });

  it.each(['producer', 'consumer'] as const)(
    'runs the %s with its mode, environment, probes and ports',
    (component) => {
      const d = component === 'producer' ? children.producerDeployment : children.consumerDeployment;
      const pod = d.spec?.template.spec as V1PodSpec;
      const [c, ...more] = pod.containers;
      expect(more).toHaveLength(0);
      expect(d.spec?.replicas).toBe(component === 'producer' ? 1 : 2);
      expect(d.spec?.selector.matchLabels).toEqual({
        'app.kubernetes.io/name': 'rating-experiment',
        'app.kubernetes.io/instance': 'erb-voices',
        'app.kubernetes.io/component': component,
      });
      expect(d.spec?.template.metadata?.labels).toMatchObject(
        d.spec?.selector.matchLabels ?? { missing: true },
      );
      expect(pod.serviceAccountName).toBe('erb-voices-ratings');
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30);
      expect(c?.image).toBe(options.image);
      expect(c?.args).toEqual([component]);
      expect(c?.env).toEqual([
        { name: 'EXPERIMENT_NAMESPACE', value: 'appdev' },
        { name: 'EXPERIMENT_NAME', value: 'erb-voices' },
        { name: 'KAFKA_BOOTSTRAP_SERVERS', value: 'kafka:9092' },
        { name: 'KAFKA_TOPIC', value: 'appdev.erb-voices-ratings' },
        { name: 'PORT', value: '8080' },
        { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
        { name: 'LOG_LEVEL', value: 'info' },
        component === 'consumer'
          ? { name: 'CONSUMER_WORKERS', value: '1' }
          : { name: 'PRODUCER_WORKERS', value: '0' },
        // Half the 256Mi limit: the producer's one isolate, the consumer's main and counting thread;
        // each semi-space a sixteenth of its old generation.
        {
          name: 'NODE_OPTIONS',
          value:
            component === 'consumer'
              ? '--max-old-space-size=64 --max-semi-space-size=4'
              : '--max-old-space-size=128 --max-semi-space-size=8',
        },
        // Node refuses V8's growth factor in NODE_OPTIONS; the process applies it (heap-options.ts).
        { name: 'HEAP_GROWING_PERCENT', value: '100' },
      ]);
      expect(c?.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
      expect(c?.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http', scheme: 'HTTP' });
      expect(c?.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http', scheme: 'HTTP' });
      expect(c?.resources).toEqual({
        requests: { cpu: '50m', memory: '128Mi' },
        limits: { memory: '256Mi' },
      });
    },
  );

  it.each(['producer', 'consumer'] as const)(
    'passes the restricted Pod Security Standard (%s)',
    (component) => {
      const d = component === 'producer' ? children.producerDeployment : children.consumerDeployment;
      const pod = d.spec?.template.spec as V1PodSpec;
      expect(restrictedViolations(pod)).toEqual([]);
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 65532,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(pod.containers[0]?.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        runAsUser: 65532,
      });
      // A writable /tmp, since the root filesystem is read-only.
      expect(pod.containers[0]?.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    },
  );

  it('exposes http and metrics on Services and pods annotated for scraping', () => {
    for (const [svc, component] of [
      [children.producerService, 'producer'],
      [children.consumerService, 'consumer'],
    ] as const) {
      expect(svc.metadata?.annotations).toEqual({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': '8080',
        'prometheus.io/path': '/metrics',
      });
      // Pods carry them as well, for pod-role discovery.
      expect(children[`${component}Deployment`].spec?.template.metadata?.annotations).toEqual(
        svc.metadata?.annotations,
      );
      expect(svc.spec?.selector).toEqual(children[`${component}Deployment`].spec?.selector.matchLabels);
      expect(svc.spec?.ports?.map((p) => [p.name, p.targetPort])).toEqual([
        ['http', 'http'],
        ['metrics', 'http'],
      ]);
      const ports = svc.spec?.ports?.map((p) => p.port) ?? [];
      expect(new Set(ports).size).toBe(ports.length);
    }
  });

  it('honours spec.image, spec.resources and the replica counts', () => {
    const c = desiredChildren(
      experiment({
        image: 'example.com/ratings:dev',
        resources: { limits: { memory: '512Mi', cpu: 1 }, requests: { memory: '256Mi' } },
        producer: { replicas: 0, ratingsPerSecond: 0 },
        consumer: { replicas: 3, checkpointIntervalSeconds: 10 },
      }),
      { ...options, logLevel: 'debug' },
    );
    const container = c.consumerDeployment.spec?.template.spec?.containers[0];
    expect(container?.image).toBe('example.com/ratings:dev');
    expect(container?.resources).toEqual({
      requests: { memory: '256Mi' },
      limits: { cpu: '1', memory: '512Mi' },
    });
    expect(Object.keys(container?.resources?.limits ?? {})).toEqual(['cpu', 'memory']);
    expect(container?.env).toContainEqual({ name: 'LOG_LEVEL', value: 'debug' });
    expect(c.producerDeployment.spec?.replicas).toBe(0);
    expect(c.consumerDeployment.spec?.replicas).toBe(3);
  });

  it('is deterministic: same input, same output, same key order', () => {
    const again = desiredChildren(experiment(), { ...options });
    expect(again).toEqual(children);
    expect(JSON.stringify(again)).toBe(JSON.stringify(children));
    // Shared structures are not aliased: changing one output leaves the next alone.
    again.producerDeployment.metadata?.ownerReferences?.pop();
    again.serviceAccount.metadata!.labels!['x'] = 'y';
    expect(JSON.stringify(desiredChildren(experiment(), options))).toBe(JSON.stringify(children));
  });

  it('does not restart the pods for what they read live (catalog, rates, replicas)', () => {
    const template = (e: RatingExperiment) =>
      JSON.stringify(desiredChildren(e, options).consumerDeployment.spec?.template);
    const base = template(experiment());
    expect(template(experiment({ voices: ['A', 'B'], scale: ['Bad', 'Good'] }))).toBe(base);
    expect(template(experiment({ producer: { replicas: 3, ratingsPerSecond: 50 } }))).toBe(base);
    expect(template(experiment({ consumer: { replicas: 3, checkpointIntervalSeconds: 9 } }))).toBe(base);
    expect(template(experiment({ topic: { name: 'other' } }))).not.toBe(base);
  });

  it('passes spec.consumer.workers to the consumer pods only, restarting them when it changes', () => {
    const workersOf = (e: RatingExperiment, component: 'consumer' | 'producer') =>
      desiredChildren(e, options)[`${component}Deployment`].spec?.template.spec?.containers[0]?.env?.filter(
        (v) => v.name === 'CONSUMER_WORKERS',
      );
    expect(workersOf(experiment(), 'consumer')).toEqual([{ name: 'CONSUMER_WORKERS', value: '1' }]);
    expect(workersOf(experiment({ consumer: { workers: 4 } }), 'consumer')).toEqual([
      { name: 'CONSUMER_WORKERS', value: '4' },
    ]);
    expect(workersOf(experiment({ consumer: { workers: 4 } }), 'producer')).toEqual([]);
  });

  it('passes spec.producer.workers to the producer pods only, restarting them when it changes', () => {
    const envOf = (e: RatingExperiment, component: 'consumer' | 'producer') =>
      desiredChildren(e, options)[`${component}Deployment`].spec?.template.spec?.containers[0]?.env?.filter(
        (v) => v.name === 'PRODUCER_WORKERS',
      );
    const template = (e: RatingExperiment) =>
      JSON.stringify(desiredChildren(e, options).producerDeployment.spec?.template);
    expect(envOf(experiment(), 'producer')).toEqual([{ name: 'PRODUCER_WORKERS', value: '0' }]);
    expect(envOf(experiment({ producer: { workers: 3 } }), 'producer')).toEqual([
      { name: 'PRODUCER_WORKERS', value: '3' },
    ]);
    expect(envOf(experiment({ producer: { workers: 3 } }), 'consumer')).toEqual([]);
    expect(template(experiment({ producer: { workers: 3 } }))).not.toBe(template(experiment()));
  });

  it("keeps the JavaScript heaps within the container's memory limit, shared by every isolate, young generations in proportion", () => {
    const heapOf = (e: RatingExperiment, component: 'consumer' | 'producer') =>
      desiredChildren(e, options)[`${component}Deployment`].spec?.template.spec?.containers[0]?.env?.find(
        (v) => v.name === 'NODE_OPTIONS',
      )?.value;
    const withLimits = (limits: Record<string, string> | undefined, workers = 1) =>
      experiment({
        resources: limits === undefined ? { requests: { cpu: '1' } } : { limits },
        consumer: { workers },
      });
    // A semi-space of a sixteenth of the old generation, at most 16 MiB.
    expect(heapOf(withLimits({ memory: '1Gi' }), 'producer')).toBe(
      '--max-old-space-size=512 --max-semi-space-size=16',
    );
    expect(heapOf(withLimits({ memory: '1Gi' }, 3), 'consumer')).toBe(
      '--max-old-space-size=128 --max-semi-space-size=8',
    );
    expect(heapOf(withLimits({ memory: '2G' }), 'producer')).toBe(
      '--max-old-space-size=953 --max-semi-space-size=16',
    );
    expect(heapOf(withLimits({ memory: '512Mi' }, 3), 'consumer')).toBe(
      '--max-old-space-size=64 --max-semi-space-size=4',
    );
    // Never below 32 MiB of old and 4 MiB of semi-space per isolate; no limit, no option (the
    // heap is the user's to size then).
    expect(heapOf(withLimits({ memory: '128Mi' }, 16), 'consumer')).toBe(
      '--max-old-space-size=32 --max-semi-space-size=4',
    );
    // The producer's generating threads are isolates too, beside its main thread.
    expect(
      heapOf(experiment({ resources: { limits: { memory: '1Gi' } }, producer: { workers: 3 } }), 'producer'),
    ).toBe('--max-old-space-size=128 --max-semi-space-size=8');
    expect(heapOf(withLimits(undefined), 'producer')).toBeUndefined();
    expect(heapOf(withLimits({ cpu: '2' }), 'consumer')).toBeUndefined();
  });

  it('lets a bounded heap grow as a large one would between full collections, and only a bounded one', () => {
    const growthOf = (e: RatingExperiment, component: 'consumer' | 'producer') =>
      desiredChildren(e, options)[`${component}Deployment`].spec?.template.spec?.containers[0]?.env?.find(
        (v) => v.name === 'HEAP_GROWING_PERCENT',
      )?.value;
    for (const component of ['producer', 'consumer'] as const) {
      expect(growthOf(experiment({ resources: { limits: { memory: '2Gi' } } }), component)).toBe('100');
      expect(growthOf(experiment({ resources: { limits: { memory: '128Mi' } } }), component)).toBe('100');
      expect(growthOf(experiment({ resources: { requests: { cpu: '1' } } }), component)).toBeUndefined();
    }
  });

  it('refuses an invalid spec or an experiment never stored', () => {
    expect(() => desiredChildren(experiment({ voices: ['Solo'] }), options)).toThrow(InvalidSpecError);
    const unsaved = experiment();
    delete unsaved.metadata?.uid;
    expect(() => desiredChildren(unsaved, options)).toThrow(/uid/);
  });
});

describe('an authenticating intake', () => {
  const on = experiment({
    producer: { intake: { authentication: 'Kubernetes' } },
  } as Partial<RatingExperimentSpec>);

  it('gets nothing extra while the intake does not authenticate', () => {
    const children = desiredChildren(experiment(), options);
    expect(children.intakeReviewerBinding).toBeUndefined();
    expect(children.role.rules?.map((r) => r.resources)).toEqual([
      ['ratingexperiments'],
      ['ratingexperiments/status'],
    ]);
  });

  it('may ask LocalSubjectAccessReviews in its namespace, and TokenReviews through one ClusterRoleBinding', () => {
    const children = desiredChildren(on, options);
    expect(children.role.rules).toContainEqual({
      apiGroups: ['authorization.k8s.io'],
      resources: ['localsubjectaccessreviews'],
      verbs: ['create'],
    });
    expect(children.intakeReviewerBinding).toEqual({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: {
        name: 'ratings-intake-reviewer.appdev.erb-voices',
        labels: expect.objectContaining({
          'app.kubernetes.io/managed-by': 'ratings-operator',
          'ratings.conglombo.io/experiment-namespace': 'appdev',
          'ratings.conglombo.io/experiment-name': 'erb-voices',
        }),
      },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'ratings-operator-intake-reviewer',
      },
      subjects: [{ kind: 'ServiceAccount', name: 'erb-voices-ratings', namespace: 'appdev' }],
    });
    // cluster-scoped: no namespace, no owner reference (the finalizer deletes it)
    expect(children.intakeReviewerBinding?.metadata).not.toHaveProperty('ownerReferences');
  });
});
