import {
  ApiError,
  RequestTimeoutError,
  errorMessage,
  isConflict,
  isGone,
  isNotFound,
} from './kube-errors.ts';

const apiError = (status: number, message = 'm') =>
  new ApiError(status, '', `Deployment: ${status} ${message}`, message);

describe('ApiError', () => {
  it("keeps the API server's status, reason, message and Retry-After beside our prefixed message", () => {
    const err = new ApiError(429, 'TooManyRequests', 'Lease: 429 slow down', 'slow down', 3);
    expect(err).toMatchObject({
      status: 429,
      reason: 'TooManyRequests',
      serverMessage: 'slow down',
      retryAfterSeconds: 3,
      message: 'Lease: 429 slow down',
    });
  });

  it('is told apart by status', () => {
    expect(isNotFound(apiError(404))).toBe(true);
    expect(isConflict(apiError(409))).toBe(true);
    expect(isGone(apiError(410))).toBe(true);
    expect(isNotFound(apiError(410))).toBe(false);
    expect(isNotFound(new Error('404'))).toBe(false);
  });
});

describe('errorMessage', () => {
  it('is the API server own message for an answer, without our prefix', () => {
    expect(errorMessage(apiError(422, 'ValidatingAdmissionPolicy denied request'))).toBe(
      'ValidatingAdmissionPolicy denied request',
    );
  });

  it('is the message of any other error', () => {
    expect(errorMessage(new RequestTimeoutError('get Lease', 100))).toBe(
      'get Lease: no complete answer within 100 ms',
    );
    expect(errorMessage('plain')).toBe('plain');
  });
});
