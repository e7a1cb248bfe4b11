export { clientMachine, type ClientInput } from './client.js';
export { splitServerMachine, serverReact, type ServerInput } from './splitServer.js';
export { federatorMachine, selectClients, type FederatorInput } from './federator.js';
export { startActor, deliver, type ActorSpec, type HostedActor } from './effects.js';
export { ActorHost, type Addressed, type HostApi } from './host.js';
export { RemoteHost } from './remoteHost.js';
export { clientName, clientIndex } from './common.js';
