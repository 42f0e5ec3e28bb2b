// Runs one probe of one container on its schedule and reports when its verdict flips.
import { probeOnce } from './probe-runner.ts';
import {
  initialProbeState,
  recordProbe,
  type ProbeKind,
  type ProbeSettings,
  type ProbeState,
} from './probes.ts';

export class ProbeLoop {
  private state: ProbeState;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly settings: ProbeSettings;
  private readonly host: string;
  private readonly onChange: (passing: boolean) => void;

  constructor(kind: ProbeKind, settings: ProbeSettings, host: string, onChange: (passing: boolean) => void) {
    this.state = initialProbeState(kind);
    this.settings = settings;
    this.host = host;
    this.onChange = onChange;
  }

  get passing(): boolean {
    return this.state.passing;
  }

  start(): void {
    this.schedule(this.settings.initialDelayMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.attempt(), delayMs);
    this.timer.unref();
  }

  private async attempt(): Promise<void> {
    const succeeded = await probeOnce(this.settings, this.host);
    if (this.stopped) return;
    const before = this.state.passing;
    this.state = recordProbe(this.state, this.settings, succeeded);
    if (this.state.passing !== before) this.onChange(this.state.passing);
    this.schedule(this.settings.periodMs);
  }
}
