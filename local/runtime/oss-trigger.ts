/**
 * Wires OSS triggers to an event source (the local OSS server): one subscription per trigger, with the
 * trigger's bucket, event names and key filter. A delivery is the exact FC OSS trigger payload and
 * becomes an asynchronous invocation, accepted before `deliver` resolves — like FC's 202 to OSS.
 */
import { parseOssEvent } from '../../shared/fc/parse';
import type { FunctionSpec, OssTriggerSpec } from './s-yaml';

/** What a trigger asks the source for. `events` are trigger-config names (`oss:ObjectCreated:*`). */
export interface OssEventSubscription {
  bucket: string;
  events: string[];
  prefix?: string;
  suffix?: string;
}

/**
 * The port an OSS event source implements. The source matches events against the subscription (bucket,
 * event names, prefix, suffix) and calls `deliver` with `{events: [...]}`; `subscribe` returns the
 * unsubscribe function.
 */
export interface OssEventSource {
  subscribe(subscription: OssEventSubscription, deliver: (payload: object) => Promise<void>): () => void;
}

export interface AttachOptions {
  /**
   * The bucket to subscribe to instead of the one in each trigger's `sourceArn`: locally the bucket is
   * the development bucket, whatever the deployed name is.
   */
  bucket?: string;
}

/** Queues one asynchronous invocation. */
export type Enqueue = (functionName: string, event: Buffer, source: string) => { requestId: string };

/**
 * Subscribes every OSS trigger of `functions` to `source`. Returns a function that unsubscribes them all.
 * A payload that is not a valid FC OSS event is refused (`deliver` rejects with `EVENT_INVALID`).
 */
export function attachOssTriggers(
  functions: readonly FunctionSpec[],
  source: OssEventSource,
  enqueue: Enqueue,
  options: AttachOptions = {},
): () => void {
  const unsubscribers: Array<() => void> = [];
  for (const fn of functions) {
    for (const trigger of fn.triggers.filter((t): t is OssTriggerSpec => t.type === 'oss')) {
      const subscription: OssEventSubscription = {
        bucket: options.bucket ?? trigger.bucket,
        events: [...trigger.events],
        prefix: trigger.prefix,
        suffix: trigger.suffix,
      };
      unsubscribers.push(
        source.subscribe(subscription, async (payload) => {
          const body = Buffer.from(JSON.stringify(payload), 'utf8');
          parseOssEvent(body);
          enqueue(fn.name, body, `oss:${trigger.name}`);
        }),
      );
    }
  }
  return () => {
    for (const unsubscribe of unsubscribers.splice(0)) unsubscribe();
  };
}
