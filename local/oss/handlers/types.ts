import type { RequestContext } from '../http/context';
import type { Notifier } from '../notifications';
import type { ObjectEngine } from '../store/engine';

/** What every handler works with. */
export interface ServerState {
  engine: ObjectEngine;
  notifier: Notifier;
  /** Bare region id, `cn-hangzhou`. */
  region: string;
  accountId: string;
  log: (line: string) => void;
}

export type Handler = (ctx: RequestContext, state: ServerState) => Promise<void>;
