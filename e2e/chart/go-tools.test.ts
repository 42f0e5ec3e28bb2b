import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureGoTool, goToolPath } from './go-tools.ts';
import type { GoTool } from './go-tools.ts';

// A module that does not exist: any attempt to build it fails, and with GOPROXY=off it fails
// at once, without the network.
const missing: GoTool = { name: 'nothing', module: 'example.invalid/nothing/cmd/nothing', version: 'v0.0.1' };

describe('ensureGoTool', () => {
  let dir: string;
  const savedProxy = process.env.GOPROXY;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'go-tools-'));
    process.env.GOPROXY = 'off';
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    if (savedProxy === undefined) delete process.env.GOPROXY;
    else process.env.GOPROXY = savedProxy;
  });

  it('names the binary after the pinned version, so that a new pin builds anew', () => {
    expect(goToolPath(missing, dir)).toBe(join(dir, 'nothing-v0.0.1'));
    expect(goToolPath({ ...missing, version: 'v0.0.2' }, dir)).toBe(join(dir, 'nothing-v0.0.2'));
  });

  it('reuses a cached binary without building', () => {
    writeFileSync(goToolPath(missing, dir), '');
    expect(ensureGoTool(missing, dir)).toBe(goToolPath(missing, dir));
  });

  it('says which tool and command failed, with go’s reason, and leaves nothing behind', () => {
    expect(() => ensureGoTool(missing, dir)).toThrow(
      /could not build nothing v0\.0\.1 with `go install example\.invalid\/nothing\/cmd\/nothing@v0\.0\.1`:\n.*GOPROXY=off/s,
    );
    expect(readdirSync(dir)).toEqual([]);
  });
});
