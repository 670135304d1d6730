/**
 * What the node is doing: queries running and clients connected, and when it last did
 * anything. The query server (a later addition) calls `queryStarted` / `clientConnected`
 * and the returned `done` functions; heartbeats report the counters and the idle timer
 * reads them. The end of an activity counts as activity: idleness starts when the last
 * query or client goes away, not when it arrived.
 */

export type AgentState = 'idle' | 'busy';

export interface Activity {
  /** A query began; call the returned function once when it ends. */
  queryStarted(): () => void;
  /** A client connected; call the returned function once when it disconnects. */
  clientConnected(): () => void;
  readonly activeQueries: number;
  readonly connectedClients: number;
  /** Epoch ms of the last start or end of a query or client (or the agent's start). */
  readonly lastActivityAt: number;
  readonly state: AgentState;
  /** Counts as activity now (the node became ready: idleness starts at registration). */
  touch(): void;
  /** How long the node has been idle at `now` (0 while busy). */
  idleForMs(now: number): number;
}

export function createActivity(now: () => number): Activity {
  let queries = 0;
  let clients = 0;
  let last = now();

  const begin = (kind: 'query' | 'client'): (() => void) => {
    if (kind === 'query') queries += 1;
    else clients += 1;
    last = now();
    let ended = false;
    return () => {
      // A double call must not drive a counter negative and hide real work.
      if (ended) return;
      ended = true;
      if (kind === 'query') queries -= 1;
      else clients -= 1;
      last = now();
    };
  };

  return {
    queryStarted: () => begin('query'),
    clientConnected: () => begin('client'),
    get activeQueries() {
      return queries;
    },
    get connectedClients() {
      return clients;
    },
    get lastActivityAt() {
      return last;
    },
    get state(): AgentState {
      return queries > 0 || clients > 0 ? 'busy' : 'idle';
    },
    touch() {
      last = now();
    },
    idleForMs(at: number) {
      if (queries > 0 || clients > 0) return 0;
      return Math.max(0, at - last);
    },
  };
}
