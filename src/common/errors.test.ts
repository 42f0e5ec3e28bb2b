import { AckTimeout } from '../producer/ack.ts';
import { InvalidSpecError } from '../model/spec.ts';
import { ApplyFailuresError } from '../model/status/outcome.ts';
import { CatalogError } from '../ratings/catalog.ts';
import { ConfigError } from './env.ts';
import {
  CodedError,
  classifyError,
  codedError,
  combinedClass,
  describeFailure,
  errorCode,
  isTransient,
  isUserFacing,
  type ErrorClass,
} from './errors.ts';
import { ExperimentSourceError } from './experiment-source.ts';
import { KafkaMetadataError } from './kafka-metadata.ts';
import { AuthUnavailableError } from './kube-auth.ts';
import { ApiError, RequestTimeoutError } from './kube-errors.ts';

const apiError = (status: number, message = 'm') =>
  new ApiError(status, '', `Deployment: ${status} ${message}`, message);
const socketError = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

describe('the coded errors of the project', () => {
  // One row per type: what its code declares, and how an instance is classed and printed.
  it.each<[Error, string, string, ErrorClass, boolean]>([
    [new ConfigError(['PORT is required']), 'ConfigError', 'RATINGS_CONFIG_INVALID', 'terminal', true],
    [
      new ExperimentSourceError('x'),
      'ExperimentSourceError',
      'RATINGS_EXPERIMENT_UNUSABLE',
      'terminal',
      true,
    ],
    [new CatalogError('x'), 'CatalogError', 'RATINGS_CATALOG_INVALID', 'terminal', true],
    [new InvalidSpecError(['x']), 'InvalidSpecError', 'RATINGS_SPEC_INVALID', 'terminal', false],
    [apiError(422), 'ApiError', 'RATINGS_KUBE_API_ERROR', 'terminal', false],
    [
      new RequestTimeoutError('get Lease', 1),
      'RequestTimeoutError',
      'RATINGS_KUBE_TIMEOUT',
      'transient',
      false,
    ],
    [
      new AuthUnavailableError('review', new RequestTimeoutError('create TokenReview', 1)),
      'AuthUnavailableError',
      'RATINGS_AUTH_UNAVAILABLE',
      'transient',
      false,
    ],
    [new KafkaMetadataError('x'), 'KafkaMetadataError', 'RATINGS_KAFKA_METADATA_FAILED', 'transient', false],
    [new AckTimeout('x'), 'AckTimeout', 'RATINGS_KAFKA_ACK_TIMEOUT', 'transient', false],
    [
      new ApplyFailuresError([
        { what: 'Role a/b', message: 'forbidden', terminal: true },
        { what: 'Deployment a/b', message: 'timeout', terminal: false },
      ]),
      'ApplyFailuresError',
      'RATINGS_APPLY_FAILED',
      'transient',
      false,
    ],
    [
      new ApplyFailuresError([{ what: 'Role a/b', message: 'forbidden', terminal: true }]),
      'ApplyFailuresError',
      'RATINGS_APPLY_FAILED',
      'terminal',
      false,
    ],
  ])('%s is named %s, has code %s, is %s, user-facing: %s', (err, name, code, errorClass, userFacing) => {
    expect(err).toBeInstanceOf(CodedError);
    expect(err.name).toBe(name);
    expect((err as CodedError).code).toBe(code);
    expect(errorCode(code)).toEqual({ code, errorClass: expect.any(String), userFacing });
    expect(classifyError(err)).toBe(errorClass);
    expect(isUserFacing(err)).toBe(userFacing);
  });

  it('keeps the messages users and tests read', () => {
    expect(new ConfigError(['PORT is required', 'HOST is required']).message).toBe(
      'invalid configuration:\n  - PORT is required\n  - HOST is required',
    );
    expect(new InvalidSpecError(['a', 'b']).message).toBe('invalid spec: a; b');
    expect(new RequestTimeoutError('get Lease', 100).message).toBe(
      'get Lease: no complete answer within 100 ms',
    );
  });

  it('an unavailable review is as retriable as what the API server did, and keeps it as its cause', () => {
    const refused = apiError(403, 'cannot create tokenreviews');
    const err = new AuthUnavailableError('check the bearer token with a TokenReview', refused);
    expect(classifyError(err)).toBe('terminal');
    expect(err.cause).toBe(refused);
    expect(err.message).toBe('cannot check the bearer token with a TokenReview: cannot create tokenreviews');
  });
});

describe('codedError', () => {
  class ProbeError extends codedError('RATINGS_TEST_PROBE', { errorClass: 'transient' }) {}

  it('declares a code once, with its class, not user-facing unless said', () => {
    expect(ProbeError.declared).toEqual({
      code: 'RATINGS_TEST_PROBE',
      errorClass: 'transient',
      userFacing: false,
    });
    expect(errorCode('RATINGS_TEST_PROBE')).toBe(ProbeError.declared);
    expect(errorCode('RATINGS_NEVER_DECLARED')).toBeUndefined();
    expect(() => codedError('RATINGS_TEST_PROBE', { errorClass: 'terminal' })).toThrow(
      'error code RATINGS_TEST_PROBE is declared twice',
    );
    expect(() => codedError('config_invalid', { errorClass: 'terminal' })).toThrow(
      'must be RATINGS_ and capitals',
    );
  });

  it('an error may say its own class, and carries its cause', () => {
    const cause = new Error('underneath');
    const err = new ProbeError('probe', { errorClass: 'terminal', cause });
    expect(classifyError(new ProbeError('probe'))).toBe('transient');
    expect(classifyError(err)).toBe('terminal');
    expect(err.cause).toBe(cause);
    expect(err).toBeInstanceOf(Error);
    expect(err.stack).toContain('ProbeError: probe');
  });

  it('a failure made of several is transient when any part is (e.g. the writes of one reconcile)', () => {
    expect(combinedClass(['terminal', 'transient', 'terminal'])).toBe('transient');
    expect(combinedClass(['terminal', 'terminal'])).toBe('terminal');
    expect(combinedClass([])).toBe('terminal');
  });
});

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

  it.each([
    'ECONNREFUSED',
    'ECONNRESET',
    'ECONNABORTED',
    'EPIPE',
    'ETIMEDOUT',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'ENOTFOUND',
    'EAI_AGAIN',
    'UND_ERR_SOCKET',
    'ERR_STREAM_PREMATURE_CLOSE',
  ])('a socket error %s is transient', (code) => {
    expect(isTransient(socketError(code))).toBe(true);
  });

  it('a socket hang up is transient', () => {
    expect(isTransient(new Error('socket hang up'))).toBe(true);
  });

  it('an error with another code is terminal', () => {
    expect(classifyError(socketError('EACCES'))).toBe('terminal');
  });

  it('anything else (a bug) is terminal, so that it is reported rather than retried forever', () => {
    expect(classifyError(new TypeError('x is undefined'))).toBe('terminal');
    expect(classifyError('a string')).toBe('terminal');
    expect(classifyError(undefined)).toBe('terminal');
  });
});

describe('describeFailure', () => {
  it('is only the message of an error whose code is user-facing', () => {
    expect(describeFailure(new ConfigError(['PORT must be an integer']))).toBe(
      'invalid configuration:\n  - PORT must be an integer',
    );
    expect(describeFailure(new CatalogError('spec.voices lists "a" twice'))).toBe(
      'spec.voices lists "a" twice',
    );
  });

  it('goes by the code, not the name: an error merely named like one keeps its stack', () => {
    const impostor = Object.assign(new Error('not ours'), { name: 'ConfigError' });
    expect(describeFailure(impostor)).toBe(impostor.stack);
  });

  it('keeps the stack of other errors, coded or not', () => {
    const bug = new TypeError('boom');
    expect(describeFailure(bug)).toBe(bug.stack);
    const spec = new InvalidSpecError(['x']);
    expect(describeFailure(spec)).toBe(spec.stack);
    expect(describeFailure('plain')).toBe('plain');
  });
});
