/** Number and time formatting for the page; pure. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 31457280 → "30.0 MiB". */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** 95 → "1 min 35 s"; `undefined` for an unknown duration. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return 'estimating…';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Speed and time left from a sliding window of (time ms, bytes done) samples. */
export class RateMeter {
  private samples: Array<[number, number]> = [];

  constructor(private readonly windowMs = 5000) {}

  add(now: number, done: number): void {
    this.samples.push([now, done]);
    while (this.samples.length > 2 && now - this.samples[0]![0] > this.windowMs) this.samples.shift();
  }

  /** Bytes per second over the window, or undefined before there is enough to tell. */
  bytesPerSecond(): number | undefined {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last[0] - first[0] < 250) return undefined;
    return ((last[1] - first[1]) * 1000) / (last[0] - first[0]);
  }

  secondsLeft(total: number): number | undefined {
    const rate = this.bytesPerSecond();
    const last = this.samples.at(-1);
    if (!rate || !last) return undefined;
    return (total - last[1]) / rate;
  }
}
