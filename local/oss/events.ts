import { createHash } from 'node:crypto';
import type { FcOssEvent, FcOssEventRecord } from '../../shared/fc/events';

/** One record of an OSS trigger payload, exactly as FC delivers it (docs/fc-runtime.md §2, docs/oss-protocol.md §9). */
export type OssEvent = FcOssEventRecord;

/** What an FC function with an OSS trigger receives: the shape the functions parse, defined once in `shared/fc`. */
export type OssEventPayload = FcOssEvent;

/** A trigger-like subscription: `oss:`-prefixed event names (wildcards such as `oss:ObjectCreated:*`), key filter. */
export interface Subscription {
  bucket: string;
  events: string[];
  prefix?: string;
  suffix?: string;
}

/** A change that happened, before it is shaped for a subscriber. */
export interface ObjectChange {
  /** e.g. `ObjectCreated:PutObject`. */
  eventName: string;
  bucket: string;
  key: string;
  eTag: string;
  size: number;
  deltaSize: number;
  position?: number;
  versionId?: string;
  time: Date;
  requestId: string;
  sourceIp: string;
}

/** Whether a subscription wants a change: same bucket, an event name or wildcard that covers it, prefix and suffix. */
export function subscriptionMatches(
  sub: Subscription,
  change: Pick<ObjectChange, 'bucket' | 'eventName' | 'key'>,
): boolean {
  if (sub.bucket !== change.bucket) return false;
  if (sub.prefix && !change.key.startsWith(sub.prefix)) return false;
  if (sub.suffix && !change.key.endsWith(sub.suffix)) return false;
  return sub.events.some((pattern) => eventNameMatches(pattern, change.eventName));
}

/** `oss:ObjectCreated:*` covers `ObjectCreated:PutObject`; the `oss:` prefix is optional in patterns. */
export function eventNameMatches(pattern: string, eventName: string): boolean {
  const p = pattern.replace(/^oss:/, '');
  if (p === '*' || p === eventName) return true;
  if (p.endsWith(':*')) return eventName.startsWith(p.slice(0, -1));
  return false;
}

/** A stable 40-hex rule id per subscription, like the ids OSS gives notification rules. */
export function ruleIdOf(sub: Subscription): string {
  return createHash('sha1')
    .update(JSON.stringify([sub.bucket, [...sub.events].sort(), sub.prefix ?? '', sub.suffix ?? '']))
    .digest('hex');
}

/** Shapes a change as the payload a subscriber receives. */
export function buildPayload(
  change: ObjectChange,
  ctx: { region: string; accountId: string; ruleId: string },
): OssEventPayload {
  return {
    events: [
      {
        eventName: change.eventName,
        eventSource: 'acs:oss',
        eventTime: change.time.toISOString(),
        eventVersion: '1.0',
        oss: {
          bucket: {
            arn: `acs:oss:${ctx.region}:${ctx.accountId}:${change.bucket}`,
            name: change.bucket,
            ownerIdentity: ctx.accountId,
            virtualBucket: '',
          },
          object: {
            deltaSize: change.deltaSize,
            eTag: change.eTag,
            key: change.key,
            size: change.size,
            ...(change.position !== undefined ? { position: change.position } : {}),
            ...(change.versionId !== undefined ? { versionId: change.versionId } : {}),
          },
          ossSchemaVersion: '1.0',
          ruleId: ctx.ruleId,
        },
        region: ctx.region,
        requestParameters: { sourceIPAddress: change.sourceIp },
        responseElements: { requestId: change.requestId },
        userIdentity: { principalId: ctx.accountId },
      },
    ],
  };
}
