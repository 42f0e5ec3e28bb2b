// Unit-test fixture of the configuration tests (tsconfig.build.json leaves *.fixtures.ts out of dist).
import { ConfigError } from './env.ts';

/** The problems of the ConfigError `fn` throws; fails when it throws none or another error. */
export function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}
