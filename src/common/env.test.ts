import { ConfigError, EnvReader } from './env.ts';

function read(source: Record<string, string>, body: (env: EnvReader) => unknown): unknown {
  const env = new EnvReader(source);
  const value = body(env);
  env.done();
  return value;
}

describe('EnvReader', () => {
  it('returns values and fallbacks', () => {
    expect(read({ A: ' x ' }, (env) => env.string('A'))).toBe('x');
    expect(read({}, (env) => env.string('A', 'dflt'))).toBe('dflt');
    expect(read({ P: '8081' }, (env) => env.integer('P', 8080, { min: 1, max: 65535 }))).toBe(8081);
    expect(read({}, (env) => env.integer('P', 8080))).toBe(8080);
    expect(read({ B: 'a:1, b:2' }, (env) => env.brokerList('B'))).toEqual(['a:1', 'b:2']);
  });

  it('treats blank values as unset', () => {
    expect(read({ A: '  ' }, (env) => env.optionalString('A'))).toBeUndefined();
  });

  it('reports every problem at once, naming each variable', () => {
    const env = new EnvReader({ P: '80.5', N: 'Bad_Name', B: 'nohost' });
    env.string('REQUIRED');
    env.integer('P', 8080, { min: 1, max: 65535 });
    env.kubernetesName('N');
    env.brokerList('B');
    let error: unknown;
    try {
      env.done();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, message } = error as ConfigError;
    expect(problems).toEqual([
      'REQUIRED is required',
      'P must be an integer in [1, 65535], got "80.5"',
      'N must be a lowercase DNS-1123 name, got "Bad_Name"',
      'B must be host:port[,host:port…], bad entries: nohost',
    ]);
    expect(message).toContain('invalid configuration:\n  - REQUIRED is required');
  });

  it('reads booleans spelled true or false, and nothing else', () => {
    expect(read({ F: 'true' }, (env) => env.boolean('F', false))).toBe(true);
    expect(read({ F: ' false ' }, (env) => env.boolean('F', true))).toBe(false);
    expect(read({}, (env) => env.boolean('F', true))).toBe(true);
    for (const raw of ['yes', '1', 'TRUE', 'on']) {
      expect(() => read({ F: raw }, (env) => env.boolean('F', false))).toThrow(
        `F must be true or false, got "${raw}"`,
      );
    }
  });

  it('rejects integers out of range', () => {
    expect(() => read({ P: '70000' }, (env) => env.integer('P', 1, { max: 65535 }))).toThrow(/P must be/);
  });
});
