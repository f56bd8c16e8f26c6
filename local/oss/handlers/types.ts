import type { ServerClock } from '../clock';
import type { RequestContext } from '../http/context';
import type { Notifier } from '../notifications';
import type { RestoreTiming } from '../restore';
import type { ObjectEngine } from '../store/engine';
import type { RestoreWatcher } from './restore';

/** What every handler works with. */
export interface ServerState {
  engine: ObjectEngine;
  notifier: Notifier;
  /** Bare region id, `cn-hangzhou`. */
  region: string;
  accountId: string;
  log: (line: string) => void;
  /** How long restores take and how long a restored copy stays readable. */
  restoreTiming: RestoreTiming;
  restores: RestoreWatcher;
  /** Object times come from here, so that tests can write in the past. */
  clock: ServerClock;
}

export type Handler = (ctx: RequestContext, state: ServerState) => Promise<void>;
