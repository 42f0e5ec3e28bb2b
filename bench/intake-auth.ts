// What authentication costs the intake: one producer process on the local stack's broker, its
// experiment switched live between `intake.authentication: None` and `Kubernetes`, the same
// autocannon load (POST /api/ratings, 64 connections, 10 s after a 2 s warm-up) alternately without
// and with a ServiceAccount token allowed to rate; three runs each, every run printed with the
// machine's load. With Kubernetes, the token's TokenReview and the LocalSubjectAccessReview are
// cached (src/common/kube-auth.ts), so the figure is the steady-state cost of a cached decision.
//
//   npm run bench:intake-auth   # BENCH_SECONDS=10 BENCH_CONNECTIONS=64 BENCH_RUNS=3
// The stack is the one .local/stack.env names (STACK_LOCAL_DIR: another checkout's), started if need be.
import autocannon from 'autocannon';
import { useStack } from '../e2e/stack/harness.ts';
import {
  allowToRate,
  createAuthenticatingExperiment,
  serviceAccountToken,
  setIntakeAuthentication,
  type Authentication,
} from '../e2e/stack/intake-auth.ts';
import { startProducer, type ModeProcess } from '../e2e/stack/mode-process.ts';
import { eventually } from '../e2e/stack/eventually.ts';
import { intakeAudience } from '../src/producer/intake-auth.ts';
import { STAGED_LABELS } from './operator-guard.ts';
import { loadAverage, median, printResult, result as targetResult } from './results.ts';
import { describeFailure } from '../src/common/errors.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const runs = Number(process.env.BENCH_RUNS ?? 3);
/** With authentication the intake should keep at least this share of its throughput without. */
const TARGET_RATIO = 0.9;

async function main(): Promise<void> {
  const stack = await useStack();
  const name = 'bench';
  let producer: ModeProcess | undefined;
  try {
    await stack.installRatingsCrd();
    const intake = await createAuthenticatingExperiment(stack, 'bench-intake-auth', name, {
      partitions: 3,
      labels: STAGED_LABELS,
    });
    const ns = intake.namespace;
    const token = await serviceAccountToken(stack.kubeConfig, ns, 'rater', {
      audiences: [intakeAudience({ namespace: ns, name })],
    });
    await allowToRate(stack.kubeConfig, ns, 'rater', 'rater');
    producer = await startProducer(stack, intake.experiment, `producer-${ns}`, {
      env: { EXPERIMENT_POLL_SECONDS: '1' },
    });
    const url = `http://127.0.0.1:${await producer.port}/api/ratings`;
    const body = JSON.stringify({
      battle: 'Adam vs Eve',
      voices: ['Big Bird', 'Joan of Arc'],
      rating: 2,
      researcher: `system:serviceaccount:${ns}:rater`, // the same body is valid in both modes
    });

    const setMode = async (authentication: Authentication) => {
      // The stack is shared: another checkout may have applied a CRD without this field since.
      await stack.installRatingsCrd();
      await setIntakeAuthentication(stack.kubeConfig, intake, authentication);
      // Without a token: 401 once it authenticates, 202 once it does not.
      const expected = authentication === 'None' ? 202 : 401;
      await eventually(`the intake to follow ${authentication}`, async () => {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        return res.status === expected ? true : undefined;
      });
    };
    const hammer = async (authentication: Authentication, duration: number) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (authentication === 'Kubernetes') headers.authorization = `Bearer ${token}`;
      return autocannon({ url, method: 'POST', headers, body, connections, duration });
    };

    const figures: Record<Authentication, number[]> = { None: [], Kubernetes: [] };
    process.stdout.write(
      `intake, POST /api/ratings, ${connections} connections, ${seconds} s per run after a 2 s warm-up, one producer process\n`,
    );
    for (let run = 1; run <= runs; run++) {
      for (const mode of ['None', 'Kubernetes'] as const) {
        await setMode(mode);
        await hammer(mode, 2);
        const before = loadAverage();
        const result = await hammer(mode, seconds);
        const accepted = result.requests.total - result.non2xx - result.errors;
        const perSecond = Math.round(accepted / seconds);
        figures[mode].push(perSecond);
        process.stdout.write(
          `run ${run} authentication ${mode.padEnd(10)} ${String(perSecond).padStart(6)} ratings/s (202)  p50 ${result.latency.p50} ms  p99 ${result.latency.p99} ms  non-2xx ${result.non2xx}  errors ${result.errors}  load ${before} -> ${loadAverage()}\n`,
        );
      }
    }
    const ratios = figures.Kubernetes.map((k, i) => Number((k / figures.None[i]!).toFixed(3)));
    process.stdout.write(
      `median ratings/s: None ${median(figures.None)}, Kubernetes ${median(figures.Kubernetes)}; ratio per run ${ratios.join(', ')}\n`,
    );
    printResult(
      targetResult(
        'intake-auth',
        `intake ratings/s with authentication Kubernetes / without (None), ${connections} connections, per run`,
        ratios,
        { atLeast: TARGET_RATIO },
      ),
    );
  } finally {
    await producer?.stop('SIGTERM');
    await stack.cleanup();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${describeFailure(err)}\n`);
  process.exit(1);
});
