/**
 * What the state-pruner accepts as an event: a timer event whose optional payload is a JSON request,
 * or the request itself (`npm run invoke -- state-pruner --event '{"dryRun":true}'`, fan-out).
 */
import * as v from 'valibot';
import { InvalidEventError, parseEvent, type RawEvent } from '../fc/parse';
import type { PruneRequest } from './run';

const PruneRequestSchema = v.strictObject(
  {
    dryRun: v.optional(v.boolean('must be true or false')),
    namespace: v.optional(v.string('must be a string')),
    deployment: v.optional(v.string('must be a string')),
    asOf: v.optional(v.string('must be an ISO 8601 date')),
    executePlan: v.optional(v.string('must be a key')),
  },
  'has an unknown field (allowed: dryRun, namespace, deployment, asOf, executePlan)',
);

/** Parses a pruner event; throws `InvalidEventError` (code `EVENT_INVALID`) naming what is wrong. */
export function parsePruneEvent(raw: RawEvent): PruneRequest & { trigger: 'timer' | 'event' } {
  const text = typeof raw === 'string' ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
  if (text.trim() === '') return { trigger: 'event' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidEventError('state-pruner', [
      `not JSON (${error instanceof Error ? error.message : String(error)})`,
    ]);
  }
  if (value !== null && typeof value === 'object' && 'triggerTime' in value) {
    const timer = parseEvent(
      'timer',
      v.object({ triggerTime: v.string(), triggerName: v.string(), payload: v.optional(v.string(), '') }),
      text,
    );
    if (timer.payload.trim() === '') return { trigger: 'timer' };
    return { ...parseEvent('timer payload', PruneRequestSchema, timer.payload), trigger: 'timer' };
  }
  return { ...parseEvent('state-pruner', PruneRequestSchema, text), trigger: 'event' };
}
