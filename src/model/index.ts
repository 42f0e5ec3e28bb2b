// The model of the operator: pure functions from a RatingExperiment (and what was observed of
// its children) to the desired children and status. No I/O and no clock: `now` is passed in.
export * from './names.ts';
export * from './spec.ts';
export * from './bootstrap.ts';
export * from './children.ts';
export * from './access.ts';
export * from './metadata.ts';
export * from './ownership.ts';
export * from './pod.ts';
export * from './heap.ts';
export * from './status/conditions.ts';
export * from './status/health.ts';
export * from './status/topic-ownership.ts';
export * from './status/outcome.ts';
export * from './status/checkpoints.ts';
export * from './status/loss.ts';
export * from './status/ready.ts';
export * from './strimzi.ts';
export * from './network-policy.ts';
