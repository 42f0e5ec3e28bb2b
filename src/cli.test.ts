import { jest } from '@jest/globals';
import { ConfigError } from './common/env.ts';
import { describeFailure, modes, run, usage } from './cli.ts';

describe('cli', () => {
  let stderr: string;
  let stdout: string;
  beforeEach(() => {
    stderr = '';
    stdout = '';
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      stderr += String(chunk);
      return true;
    });
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      stdout += String(chunk);
      return true;
    });
  });
  afterEach(() => jest.restoreAllMocks());

  it('lists every mode in the usage', () => {
    expect(Object.keys(modes)).toEqual(['controller', 'producer', 'consumer']);
    for (const mode of Object.keys(modes)) expect(usage()).toContain(mode);
  });

  it('exits 2 with usage on an unknown mode', async () => {
    expect(await run(['frobnicate'])).toBe(2);
    expect(stderr).toContain('unknown mode "frobnicate"');
    expect(stderr).toContain('usage: ratings-operator <mode>');
  });

  it('exits 2 with usage when no mode or extra arguments are given', async () => {
    expect(await run([])).toBe(2);
    expect(await run(['producer', 'extra'])).toBe(2);
    expect(stderr).toContain('usage:');
  });

  it('prints usage on --help and exits 0', async () => {
    expect(await run(['--help'])).toBe(0);
    expect(stdout).toContain('usage:');
  });
});

describe('describeFailure', () => {
  it('prints only the message of configuration errors', () => {
    expect(describeFailure(new ConfigError(['PORT must be an integer']))).toBe(
      'invalid configuration:\n  - PORT must be an integer',
    );
  });

  it('keeps the stack of unexpected errors', () => {
    const err = new TypeError('boom');
    expect(describeFailure(err)).toBe(err.stack);
    expect(describeFailure('plain')).toBe('plain');
  });
});
