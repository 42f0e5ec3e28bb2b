// config/manager and the chart install the same image by default: the reference the chart's
// values and appVersion make is the one config/manager's controller runs and passes on.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { repoRoot } from '../stack/paths.ts';
import { CHART_DIR } from './sync.ts';

interface Values {
  image: { repository: string; tag: string; digest: string };
}
interface Manager {
  spec: { template: { spec: { containers: { image: string; env: { name: string; value?: string }[] }[] } } };
}

const read = (path: string) => load(readFileSync(join(repoRoot, path), 'utf8'));

describe('the image reference', () => {
  const values = read(`${CHART_DIR}/values.yaml`) as Values;
  const chart = read(`${CHART_DIR}/Chart.yaml`) as { appVersion: string };
  const controller = (read('config/manager/manager.yaml') as Manager).spec.template.spec.containers[0]!;

  it("is the chart's default (repository, appVersion, no digest) in config/manager", () => {
    expect(values.image.tag).toBe('');
    expect(values.image.digest).toBe('');
    expect(controller.image).toBe(`${values.image.repository}:${chart.appVersion}`);
  });

  it('is what config/manager gives the experiments pods (OPERATOR_IMAGE)', () => {
    expect(controller.env.find((e) => e.name === 'OPERATOR_IMAGE')?.value).toBe(controller.image);
  });
});
