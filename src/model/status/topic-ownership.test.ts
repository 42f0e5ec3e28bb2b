import type { KafkaTopic } from '../strimzi.ts';
import { topicConflict } from './topic-ownership.ts';
import { labelledExperiment } from '../names.ts';

describe('topicConflict', () => {
  const mine = { namespace: 'appdev', name: 'erb' };
  const labelled = (namespace: string, name: string): KafkaTopic => ({
    metadata: {
      name: 'erb-ratings',
      namespace: 'queuing',
      labels: {
        'app.kubernetes.io/managed-by': 'ratings-operator',
        'ratings.conglombo.io/experiment-namespace': namespace,
        'ratings.conglombo.io/experiment-name': name,
      },
    },
  });
  it('allows a missing topic or one of this experiment', () => {
    expect(topicConflict(mine, undefined, labelledExperiment)).toBeUndefined();
    expect(topicConflict(mine, labelled('appdev', 'erb'), labelledExperiment)).toBeUndefined();
  });
  it('names the other owner', () => {
    expect(topicConflict(mine, labelled('prod', 'erb'), labelledExperiment)).toMatch(
      /belongs to RatingExperiment prod\/erb; set spec\.topic\.name/,
    );
    expect(topicConflict(mine, { metadata: { name: 't', namespace: 'q' } }, labelledExperiment)).toMatch(
      /not managed by this operator/,
    );
  });
});
