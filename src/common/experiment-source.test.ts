import { ApiException } from '@kubernetes/client-node';
import { describeReadError } from './experiment-source.ts';

const server = 'https://127.0.0.1:6443';
const describe_ = (err: unknown) => describeReadError(err, 'appdev', 'erb', server);
const status = (message: string) => JSON.stringify({ kind: 'Status', status: 'Failure', message });

describe('describeReadError', () => {
  it('points at the names and the CRD when the experiment is not found', () => {
    expect(describe_(new ApiException(404, 'Unknown API Status Code!', status('not found'), {}))).toBe(
      'RatingExperiment appdev/erb not found on https://127.0.0.1:6443 (is EXPERIMENT_NAMESPACE/EXPERIMENT_NAME right, and the CRD installed?)',
    );
  });

  it('names the missing permission and quotes the API server on 403', () => {
    const body = status(
      'ratingexperiments.ratings.conglombo.io "erb" is forbidden: User "system:serviceaccount:appdev:x" cannot get',
    );
    expect(describe_(new ApiException(403, 'Unknown API Status Code!', body, {}))).toBe(
      'not allowed to get RatingExperiment appdev/erb: the pod\'s service account needs "get" on ' +
        'ratingexperiments.ratings.conglombo.io (ratingexperiments.ratings.conglombo.io "erb" is forbidden: ' +
        'User "system:serviceaccount:appdev:x" cannot get)',
    );
  });

  it('reports rejected credentials without echoing them', () => {
    expect(describe_(new ApiException(401, 'Unauthorized', undefined, {}))).toBe(
      'https://127.0.0.1:6443 rejected the credentials reading RatingExperiment appdev/erb (expired or wrong token)',
    );
  });

  it('carries the Status message of other HTTP failures, parsed or as text', () => {
    expect(describe_(new ApiException(500, 'x', { message: 'etcd unavailable' }, {}))).toBe(
      'reading RatingExperiment appdev/erb failed with HTTP 500: etcd unavailable',
    );
    expect(describe_(new ApiException(502, 'x', 'bad gateway', {}))).toBe(
      'reading RatingExperiment appdev/erb failed with HTTP 502: bad gateway',
    );
    expect(describe_(new ApiException(503, 'x', '', {}))).toBe(
      'reading RatingExperiment appdev/erb failed with HTTP 503',
    );
  });

  it('distinguishes a timeout from an unreachable server', () => {
    expect(describe_(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))).toBe(
      'reading RatingExperiment appdev/erb from https://127.0.0.1:6443 timed out',
    );
    expect(describe_(new Error('connect ECONNREFUSED 127.0.0.1:6443'))).toBe(
      'cannot reach https://127.0.0.1:6443 to read RatingExperiment appdev/erb: connect ECONNREFUSED 127.0.0.1:6443',
    );
  });
});
