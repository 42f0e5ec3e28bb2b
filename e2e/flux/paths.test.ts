import { ports } from '../stack/paths.ts';
import { fluxPorts } from './paths.ts';

describe('fluxPorts', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('defaults below 32768 (the ephemeral range), distinct, and away from the stack defaults', () => {
    for (const name of Object.keys(process.env).filter((n) => /^STACK_.*_PORT$/.test(n)))
      delete process.env[name];
    const flux = Object.values(fluxPorts());
    expect(new Set(flux).size).toBe(flux.length);
    expect(Math.max(...flux)).toBeLessThan(32768);
    const stack = new Set(Object.values(ports()));
    expect(flux.filter((p) => stack.has(p))).toEqual([]);
  });

  it('takes each port from its STACK_*_PORT variable', () => {
    process.env.STACK_GIT_SERVER_PORT = '25180';
    process.env.STACK_FLUX_HELM_HEALTH_PORT = '25187';
    expect(fluxPorts()).toMatchObject({ gitServer: 25180, helmHealth: 25187 });
    process.env.STACK_FLUX_SOURCE_STORAGE_PORT = 'x';
    expect(() => fluxPorts()).toThrow('STACK_FLUX_SOURCE_STORAGE_PORT=x is not a TCP port number');
  });
});
