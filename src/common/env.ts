// Configuration from the environment, validated all at once so that a misconfigured pod
// reports every problem in a single clear message instead of failing on the first.

import { codedError } from './errors.ts';

export class ConfigError extends codedError('RATINGS_CONFIG_INVALID', {
  errorClass: 'terminal',
  userFacing: true,
}) {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

type Source = Record<string, string | undefined>;

/** Collects problems while reading variables; `done()` throws them together. */
export class EnvReader {
  private readonly problems: string[] = [];
  private readonly source: Source;

  constructor(source: Source = process.env) {
    this.source = source;
  }

  optionalString(name: string): string | undefined {
    const value = this.source[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  string(name: string, fallback?: string): string {
    const value = this.optionalString(name) ?? fallback;
    if (value === undefined) {
      this.problems.push(`${name} is required`);
      return '';
    }
    return value;
  }

  integer(name: string, fallback: number, { min = -Infinity, max = Infinity } = {}): number {
    const raw = this.optionalString(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be an integer in [${min}, ${max}], got "${raw}"`);
      return fallback;
    }
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.optionalString(name);
    if (raw === undefined) return fallback;
    if (raw === 'true' || raw === 'false') return raw === 'true';
    this.problems.push(`${name} must be true or false, got "${raw}"`);
    return fallback;
  }

  /** A DNS-1123 subdomain, as Kubernetes requires of namespaces and object names. */
  kubernetesName(name: string, fallback?: string): string {
    const value = this.string(name, fallback);
    if (value !== '' && !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(value)) {
      this.problems.push(`${name} must be a lowercase DNS-1123 name, got "${value}"`);
    }
    return value;
  }

  /** Comma-separated host:port pairs. */
  brokerList(name: string): string[] | undefined {
    const raw = this.optionalString(name);
    if (raw === undefined) return undefined;
    const brokers = raw.split(',').map((b) => b.trim());
    const bad = brokers.filter((b) => !/^[^\s:]+:\d{1,5}$/.test(b));
    if (bad.length > 0)
      this.problems.push(`${name} must be host:port[,host:port…], bad entries: ${bad.join(', ')}`);
    return brokers;
  }

  fail(problem: string): void {
    this.problems.push(problem);
  }

  done(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}
