/**
 * comlink's Node adapter ships as UMD: under ESM its default import is the function itself,
 * while its typings declare an ES default export. This bridges the two.
 */
import adapter from 'comlink/dist/umd/node-adapter.js';

type NodeEndpointFn = typeof adapter.default;

export const nodeEndpoint: NodeEndpointFn = ((adapter as unknown as { default?: NodeEndpointFn }).default ??
  adapter) as unknown as NodeEndpointFn;
