/**
 * Fires enabled timer triggers on their schedule: each firing queues an asynchronous invocation with the
 * event `{triggerTime, triggerName, payload}`. Disabled triggers (`enable: false`) never fire.
 */
import { Cron } from 'croner';
import type { FcTimerEvent } from '../../shared/fc/types';
import type { Enqueue } from './oss-trigger';
import type { FunctionSpec, TimerTriggerSpec } from './s-yaml';

export interface RunningTimers {
  /** Triggers scheduled (enabled ones). */
  readonly count: number;
  stop(): void;
}

/** The timer event for a firing at `at`, with FC's second-precision UTC `triggerTime`. */
export function timerEvent(trigger: TimerTriggerSpec, at: Date): FcTimerEvent {
  const seconds = new Date(Math.floor(at.getTime() / 1000) * 1000);
  return {
    triggerTime: seconds.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    triggerName: trigger.name,
    payload: trigger.payload,
  };
}

/** Schedules every enabled timer trigger of `functions`. */
export function startTimers(functions: readonly FunctionSpec[], enqueue: Enqueue): RunningTimers {
  const stops: Array<() => void> = [];
  for (const fn of functions) {
    for (const trigger of fn.triggers.filter((t): t is TimerTriggerSpec => t.type === 'timer' && t.enable)) {
      const fire = (at: Date) => {
        const event = timerEvent(trigger, at);
        enqueue(fn.name, Buffer.from(JSON.stringify(event), 'utf8'), `timer:${trigger.name}`);
      };
      const { schedule } = trigger;
      if (schedule.kind === 'every') {
        const interval = setInterval(() => fire(new Date()), schedule.intervalMs);
        stops.push(() => clearInterval(interval));
      } else {
        const job = new Cron(schedule.pattern, { timezone: schedule.timezone, mode: '6-part' }, (self: Cron) =>
          fire(self.currentRun() ?? new Date()),
        );
        stops.push(() => job.stop());
      }
    }
  }
  return {
    count: stops.length,
    stop: () => {
      for (const stop of stops.splice(0)) stop();
    },
  };
}
