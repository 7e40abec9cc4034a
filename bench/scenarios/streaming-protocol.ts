/** Messages between the streaming scenario and its child process (streaming-child.ts). */
export type StreamingParentMessage = { kind: 'go' };

export type StreamingChildMessage =
  | { kind: 'ready' }
  | { kind: 'done'; bytes: number; ms: number; sha256?: string }
  | { kind: 'failed'; message: string };
