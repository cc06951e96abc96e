/** Keep-alive timing every SignalR client expects (reference §2.7). */

/** Send a Ping after this long without sending anything (the JS client gives up after 30 s of silence). */
export const KEEP_ALIVE_INTERVAL_MS = 15_000;
/** Drop a client that sent nothing (not even its own 15 s Ping) for this long. */
export const CLIENT_TIMEOUT_MS = 30_000;
