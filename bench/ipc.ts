/** The launcher's handle on a worker process: one request at a time, answered by id. */
import type { ChildProcess } from 'node:child_process';
import type { WorkerReply, WorkerRequest, WorkerResult } from './worker.js';

export class WorkerHandle {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void }
  >();

  constructor(readonly child: ChildProcess) {
    child.on('message', (message) => {
      const reply = message as WorkerReply;
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      waiting?.resolve(reply);
    });
    child.once('exit', (code, signal) => {
      for (const waiting of this.pending.values()) {
        waiting.reject(new Error(`the worker exited (${String(code ?? signal)})`));
      }
      this.pending.clear();
    });
  }

  async call<T extends WorkerResult>(request: WorkerRequest): Promise<T> {
    const id = this.nextId++;
    const started = Date.now();
    const reply = await new Promise<WorkerReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ ...request, id });
    });
    console.error(`    ${request.op}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (!reply.ok) throw new Error(`worker: ${reply.error}`);
    return reply.result as T;
  }

  stop(): void {
    if (this.child.connected) this.child.disconnect();
  }
}
