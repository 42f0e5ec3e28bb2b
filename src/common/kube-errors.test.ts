import { ApiError, RequestTimeoutError, classifyError, errorMessage, isTransient } from './kube-errors.ts';

const apiError = (status: number, message = 'm') =>
  new ApiError(status, '', `Deployment: ${status} ${message}`, message);
const socketError = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

describe('classifyError', () => {
  it.each([408, 409, 429, 500, 502, 503, 504])('an answer with status %i is transient', (status) => {
    expect(classifyError(apiError(status))).toBe('transient');
  });

  it.each([400, 401, 403, 404, 405, 410, 413, 415, 422])('an answer with status %i is terminal', (status) => {
    // 410 (a watch's resourceVersion expired) is handled by relisting, not by repeating the request
    expect(classifyError(apiError(status))).toBe('terminal');
  });

  it('a request past its deadline is transient', () => {
    expect(classifyError(new RequestTimeoutError('get Lease', 100))).toBe('transient');
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'EAI_AGAIN'])(
    'a socket error %s is transient',
    (code) => {
      expect(isTransient(socketError(code))).toBe(true);
    },
  );

  it('a socket hang up is transient', () => {
    expect(isTransient(new Error('socket hang up'))).toBe(true);
  });

  it('anything else (a bug) is terminal, so that it is reported rather than retried forever', () => {
    expect(classifyError(new TypeError('x is undefined'))).toBe('terminal');
    expect(classifyError('a string')).toBe('terminal');
    expect(classifyError(undefined)).toBe('terminal');
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
