/** Worker-thread entry of an actor host: exposes ActorHost over comlink. */
import { parentPort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import { nodeEndpoint } from './nodeEndpoint.js';
import { ActorHost } from './host.js';

if (parentPort === null) throw new Error('hostWorker must run in a worker thread');
Comlink.expose(new ActorHost(), nodeEndpoint(parentPort));
