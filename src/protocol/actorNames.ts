/** Names of the protocol's actors: `federator`, `server`, and `client-k` for client k. */

/** The actor name of client k. @example clientName(3) === 'client-3' */
export function clientName(k: number): string {
  return `client-${k}`;
}

/** Client k of the name `client-k`, or -1 for any other actor. */
export function clientIndex(name: string): number {
  const m = /^client-(\d+)$/.exec(name);
  return m ? Number(m[1]) : -1;
}
