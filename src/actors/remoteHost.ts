/** The simulation's handle on an actor host running in its own worker thread. */
import { Worker } from 'node:worker_threads';
import * as Comlink from 'comlink';
import { nodeEndpoint } from './nodeEndpoint.js';
import { compiledPath } from '../compute/pool.js';
import type { Effect } from '../protocol/messages.js';
import type { ActorSpec } from './effects.js';
import type { Addressed, HostApi } from './host.js';

export class RemoteHost {
  private readonly worker: Worker;
  private readonly api: Comlink.Remote<HostApi>;

  constructor() {
    this.worker = new Worker(compiledPath('actors/hostWorker.js'));
    this.api = Comlink.wrap<HostApi>(nodeEndpoint(this.worker));
  }

  async init(specs: ActorSpec[], snapshots?: Record<string, unknown>): Promise<void> {
    await this.api.init(specs, snapshots);
  }

  async snapshot(): Promise<Record<string, unknown>> {
    return this.api.snapshot();
  }

  async stop(id: string): Promise<void> {
    await this.api.stop(id);
  }

  async restart(id: string): Promise<void> {
    await this.api.restart(id);
  }

  async deliver(batch: Addressed[]): Promise<Effect[]> {
    return this.api.deliver(batch);
  }

  async close(): Promise<void> {
    this.api[Comlink.releaseProxy]();
    await this.worker.terminate();
  }
}
