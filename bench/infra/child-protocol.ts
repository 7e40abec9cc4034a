/** The messages between the benchmark and the service processes it runs (see child-entry.ts). */

export interface LoopDelayRequest {
  kind: 'loop-delay';
  id: number;
}

export interface LoopDelayReply {
  kind: 'loop-delay';
  id: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export type ChildRequest = LoopDelayRequest;
export type ChildReply = LoopDelayReply;
