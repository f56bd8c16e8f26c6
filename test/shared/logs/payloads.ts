/**
 * Bodies exactly as the collectors configured in docs/log-shipper.md send them:
 * - Fluent Bit `http` output, `format json`: one JSON array of records, `date` first as epoch seconds
 *   (a double with microseconds, `json_date_format double`, the default), `Content-Type: application/json`;
 * - Fluent Bit `format json_lines`: the same records one per line, `Content-Type: application/x-ndjson`;
 * - Vector `http` sink, `encoding.codec = "json"`, `framing.method = "newline_delimited"`: one event per
 *   line with `timestamp` in RFC 3339 with nanoseconds, `Content-Type: application/x-ndjson`.
 * With `compress gzip` / `compression = "gzip"` both add `Content-Encoding: gzip`.
 */
export const BASE_SECONDS = 1_764_630_107; // 2025-12-01T23:01:47Z

const FLINK_LINES = [
  'INFO  org.apache.flink.runtime.taskmanager.Task - Source: kafka (1/4)#0 switched from INITIALIZING to RUNNING.',
  'WARN  org.apache.flink.runtime.checkpoint.CheckpointCoordinator - Checkpoint 42 expired before completing.',
  'ERROR org.apache.flink.runtime.taskmanager.Task - Sink: oss (2/4)#0 switched from RUNNING to FAILED with failure cause: java.io.IOException: "quoted" \\ path',
  'INFO  org.apache.flink.runtime.jobmaster.JobMaster - Triggering checkpoint 43 @ 1764630107123 for job 3f2a.',
];

/** Fluent Bit records as its `tail` input with the docker/cri parser produces them. */
export function fluentBitRecords(count: number, startSeconds = BASE_SECONDS): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, i) => ({
    date: Number((startSeconds + i * 0.001 + 0.000123).toFixed(6)),
    log: `2025-12-01 23:01:47,${String(i % 1000).padStart(3, '0')} ${FLINK_LINES[i % FLINK_LINES.length]} #${i}`,
    stream: i % 5 === 0 ? 'stderr' : 'stdout',
    kubernetes: { pod_name: `tm-${i % 3}`, namespace_name: 'flink', container_name: 'flink-main-container' },
  }));
}

/** Fluent Bit `format json`: `[{…},{…}]` on one line. */
export function fluentBitJson(count: number, startSeconds?: number): string {
  return JSON.stringify(fluentBitRecords(count, startSeconds));
}

/** Fluent Bit `format json_lines`: one record per line, each line ending in "\n". */
export function fluentBitJsonLines(count: number, startSeconds?: number): string {
  return fluentBitRecords(count, startSeconds)
    .map((r) => `${JSON.stringify(r)}\n`)
    .join('');
}

/** Vector events from a `file` source. */
export function vectorEvents(count: number, startSeconds = BASE_SECONDS): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, i) => {
    const ms = startSeconds * 1000 + i;
    const iso = new Date(ms).toISOString().slice(0, 23);
    return {
      file: '/opt/flink/log/flink--taskexecutor-0.log',
      host: 'node-1',
      message: `${FLINK_LINES[i % FLINK_LINES.length]} #${i}`,
      source_type: 'file',
      timestamp: `${iso}${String(i % 1_000_000).padStart(6, '0')}Z`,
    };
  });
}

/** Vector `http` sink, json codec, newline-delimited framing. */
export function vectorNdjson(count: number, startSeconds?: number): string {
  return vectorEvents(count, startSeconds)
    .map((e) => `${JSON.stringify(e)}\n`)
    .join('');
}

/** Plain text lines in Flink's log4j pattern. */
export function flinkTextLines(count: number): string {
  return Array.from(
    { length: count },
    (_, i) => `2025-12-01 23:01:47,${String(i % 1000).padStart(3, '0')} ${FLINK_LINES[i % FLINK_LINES.length]} #${i}\n`,
  ).join('');
}
