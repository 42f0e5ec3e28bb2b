// The model of the operator: pure functions from a RatingExperiment (and what was observed of
// its children) to the desired children and status. No I/O and no clock: `now` is passed in.
export * from './names.ts';
export * from './spec.ts';
export * from './bootstrap.ts';
export * from './children.ts';
export * from './conditions.ts';
export * from './strimzi.ts';
export * from './network-policy.ts';
