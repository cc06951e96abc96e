/**
 * What the receivers of one load-generator process counted: data frames (for SignalR, hub
 * Invocation messages), payload bytes, socket reads, frame sizes, unexpected closes, and the
 * latency samples. Shared by every receiver kind (WebSocket, Server-Sent Events).
 */

/** Counters shared by all connections of one process. */
export class Counters {
  frames = 0;
  bytes = 0;
  /** Socket reads (frames / reads shows how much the server coalesces its writes). */
  reads = 0;
  minLen = Number.POSITIVE_INFINITY;
  maxLen = 0;
  /** Connections the server closed or reset while they were counted. */
  unexpectedCloses = 0;
  latency = false;
  /** Latency samples in µs. */
  samples: number[] = [];
  badStamps = 0;

  reset(): void {
    this.frames = 0;
    this.bytes = 0;
    this.reads = 0;
    this.minLen = Number.POSITIVE_INFINITY;
    this.maxLen = 0;
    this.unexpectedCloses = 0;
    this.samples = [];
    this.badStamps = 0;
  }
}
