/** Pilot mode: the simulator's actors over real mutual-TLS connections between processes (docs/pilot.md). */
export { makeCerts, siteCommonName, type CertFiles, type CertOptions } from './certs.js';
export { encodeFrame, decodeFrame, MAX_HEADER_BYTES, type Frame, type FrameHeader, type FrameError } from './frame.js';
export { DEFAULT_LIMITS, FrameReceiver, FrameSender, type ChannelLimits, type Envelope, type Verdict } from './channel.js';
export { WireServer, type WireServerOptions } from './wireServer.js';
export { WireClient, siteUrl, type WireClientOptions, type Welcome } from './wireClient.js';
export { CLIENT_MAY_SEND, toEnvelope, fromEnvelope } from './wireMessage.js';
export { PilotNode, type Remote, type NodeHooks } from './pilotNode.js';
export { runServe, loggedSize, type ServeOptions, type PilotSummary } from './serveNode.js';
export { runJoin, type JoinOptions } from './joinNode.js';
export { readRunTraffic, compareRuns, formatComparison, type RunTraffic, type CompareRow, type Tally } from './compare.js';
export { ShapedLinks, shapingMissing, unshapeableLinks, describeLink, SHAPED_SERVER_ADDRESS, type ShapedSite, type ShapedLinksOptions } from './shapedLinks.js';
