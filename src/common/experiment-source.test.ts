import { ApiError, RequestTimeoutError } from './kube-errors.ts';
import { describeReadError } from './experiment-source.ts';

const server = 'https://127.0.0.1:6443';
const describe_ = (err: unknown) => describeReadError(err, 'appdev', 'erb', server);
const apiError = (status: number, message: string) =>
  new ApiError(status, 'Failure', `HTTP ${status}`, message);

describe('describeReadError', () => {
  it('names the missing permission and quotes the API server on 403', () => {
    const message =
      'ratingexperiments.ratings.conglombo.io "erb" is forbidden: User "system:serviceaccount:appdev:x" cannot get';
    expect(describe_(apiError(403, message))).toBe(
      'not allowed to get RatingExperiment appdev/erb: the pod\'s service account needs "get" on ' +
        'ratingexperiments.ratings.conglombo.io (ratingexperiments.ratings.conglombo.io "erb" is forbidden: ' +
        'User "system:serviceaccount:appdev:x" cannot get)',
    );
  });

  it('reports rejected credentials without echoing them', () => {
    expect(describe_(apiError(401, 'Unauthorized'))).toBe(
      'https://127.0.0.1:6443 rejected the credentials reading RatingExperiment appdev/erb (expired or wrong token)',
    );
  });

  it('carries the Status message of other HTTP failures', () => {
    expect(describe_(apiError(500, 'etcd unavailable'))).toBe(
      'reading RatingExperiment appdev/erb failed with HTTP 500: etcd unavailable',
    );
    expect(describe_(apiError(503, ''))).toBe('reading RatingExperiment appdev/erb failed with HTTP 503');
  });

  it('distinguishes a timeout from an unreachable server', () => {
    expect(describe_(new RequestTimeoutError('GET ratingexperiments', 15_000))).toBe(
      'reading RatingExperiment appdev/erb from https://127.0.0.1:6443 timed out',
    );
    expect(describe_(new Error('connect ECONNREFUSED 127.0.0.1:6443'))).toBe(
      'cannot reach https://127.0.0.1:6443 to read RatingExperiment appdev/erb: connect ECONNREFUSED 127.0.0.1:6443',
    );
  });
});
