import { jest } from '@jest/globals';
import { ConfigError } from './common/env.ts';
import { modes, run, runReporting, usage } from './cli.ts';

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

  describe('a mode that fails', () => {
    const failWith = (err: unknown) => {
      modes.failing = {
        describe: 'fails on purpose',
        load: async () => ({
          main: async () => {
            throw err;
          },
        }),
      };
    };
    afterEach(() => delete modes.failing);

    it('exits 1 with only the message of an error whose code is user-facing', async () => {
      failWith(new ConfigError(['PORT must be an integer']));
      expect(await runReporting(['failing'])).toBe(1);
      expect(stderr).toBe('invalid configuration:\n  - PORT must be an integer\n');
    });

    it('exits 1 with the stack of anything else', async () => {
      const err = new TypeError('boom');
      failWith(err);
      expect(await runReporting(['failing'])).toBe(1);
      expect(stderr).toBe(`${err.stack}\n`);
    });
  });
});
