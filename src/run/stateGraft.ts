/**
 * Generic state capture and in-place restore of a live object graph (the checkpoint's engine).
 *
 * Why generic: a run's state is spread over dozens of classes (kernel, event queue, links, loss
 * processes, traces, devices, RNG streams, blob and parameter stores, task runner). Writing a
 * serialiser per class would miss the next private field someone adds; walking every own
 * property cannot. `captureState` turns the graph into plain data (typed arrays copied out of
 * shared memory, shared references kept as references, settled promises as their values);
 * `restoreState` grafts that data back onto a freshly built graph of the same shape, mutating
 * the live objects in place so that their prototypes, their functions and every reference held
 * elsewhere (a link's Rng, a worker's view of a shared buffer) stay valid.
 */

/** A captured value: a primitive as-is, or a tagged node. */
export type Node =
  | number
  | string
  | boolean
  | null
  | undefined
  | bigint
  | { $: 'ref'; id: number }
  | { $: 'keep' }
  | { $: 'ta'; id: number; ctor: string; shared: boolean; data: ArrayBufferView }
  | { $: 'detached'; id: number; ctor: string }
  | { $: 'arr'; id: number; items: Node[] }
  | { $: 'map'; id: number; entries: [Node, Node][] }
  | { $: 'set'; id: number; items: Node[] }
  | { $: 'promise'; id: number; value: Node }
  | { $: 'obj'; id: number; ctor: string; props: Record<string, Node> };

/** What the walk leaves alone: static objects rebuilt from the scenario, handles, and named keys of the root. */
export interface GraftOptions {
  /** Live objects kept as they are (captured as `keep`, never restored). */
  skip?: ReadonlySet<object>;
  /** Own keys of the root object kept as they are. */
  skipRootKeys?: ReadonlySet<string>;
}

type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | Uint8ClampedArray;

const TYPED: Record<string, new (b: ArrayBufferLike | number) => TypedArray> = {
  Float32Array,
  Float64Array,
  Int8Array,
  Int16Array,
  Int32Array,
  Uint8Array,
  Uint16Array,
  Uint32Array,
  Uint8ClampedArray,
};

function isTyped(v: object): v is TypedArray {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

/** Whether a typed array's buffer was transferred away (Node 20 has no `ArrayBuffer.prototype.detached`). */
function isDetached(v: TypedArray): boolean {
  if (v.buffer.byteLength > 0 || (typeof SharedArrayBuffer !== 'undefined' && v.buffer instanceof SharedArrayBuffer)) return false;
  try {
    new Uint8Array(v.buffer);
    return false;
  } catch {
    return true;
  }
}

/** Every promise reachable from `root` (outside `skip`). */
function collectPromises(root: unknown, options: GraftOptions): Promise<unknown>[] {
  const out: Promise<unknown>[] = [];
  const seen = new Set<object>();
  const visit = (v: unknown, isRoot: boolean): void => {
    if (typeof v !== 'object' || v === null || seen.has(v) || options.skip?.has(v)) return;
    seen.add(v);
    if (v instanceof Promise) {
      out.push(v);
      return;
    }
    if (isTyped(v)) return;
    if (v instanceof Map) {
      for (const [k, x] of v) {
        visit(k, false);
        visit(x, false);
      }
      return;
    }
    if (v instanceof Set) {
      for (const x of v) visit(x, false);
      return;
    }
    for (const key of Object.keys(v)) {
      if (isRoot && options.skipRootKeys?.has(key)) continue;
      visit((v as Record<string, unknown>)[key], false);
    }
  };
  visit(root, true);
  return out;
}

/**
 * Waits until every promise reachable from `root` has settled (their handlers may change the
 * graph, so it looks again until none is new) and captures the graph. A rejected promise is an
 * error: a failed task is a failed run, not a state.
 */
export async function captureState(root: object, options: GraftOptions = {}): Promise<Node> {
  const values = new Map<Promise<unknown>, unknown>();
  for (;;) {
    const pending = collectPromises(root, options).filter((p) => !values.has(p));
    if (pending.length === 0) break;
    const settled = await Promise.all(pending.map((p) => p.then((v) => ({ p, v }))));
    for (const { p, v } of settled) values.set(p, v);
  }
  const ids = new Map<object, number>();
  const capture = (v: unknown, path: string, isRoot: boolean): Node => {
    if (typeof v === 'function') return { $: 'keep' };
    if (typeof v === 'symbol') throw new Error(`checkpoint: ${path}: a symbol cannot be saved`);
    if (typeof v !== 'object' || v === null) return v as Node;
    if (options.skip?.has(v)) return { $: 'keep' };
    const seenId = ids.get(v);
    if (seenId !== undefined) return { $: 'ref', id: seenId };
    const id = ids.size;
    ids.set(v, id);
    if (v instanceof Promise) {
      if (!values.has(v)) throw new Error(`checkpoint: ${path}: a promise appeared while saving`);
      return { $: 'promise', id, value: capture(values.get(v), `${path}.<value>`, false) };
    }
    if (isTyped(v)) {
      const ctor = v.constructor.name;
      // A buffer transferred to a worker (a consumed task input still referenced): restored detached too.
      if (isDetached(v)) {
        if (process.env['SPLITWIRE_GRAFT_DEBUG'] !== undefined) process.stderr.write(`detached: ${path}\n`);
        return { $: 'detached', id, ctor };
      }
      const shared = typeof SharedArrayBuffer !== 'undefined' && v.buffer instanceof SharedArrayBuffer;
      const copy = new (TYPED[ctor] as new (n: number) => TypedArray)(v.length);
      copy.set(v as never);
      return { $: 'ta', id, ctor, shared, data: copy };
    }
    if (v instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && v instanceof SharedArrayBuffer) || v instanceof DataView) {
      throw new Error(`checkpoint: ${path}: a bare ${v.constructor.name} is not supported (keep it in a typed array)`);
    }
    if (v instanceof WeakMap || v instanceof WeakSet || v instanceof Date || v instanceof RegExp) {
      throw new Error(`checkpoint: ${path}: a ${v.constructor.name} cannot be saved`);
    }
    if (Array.isArray(v)) {
      const items: Node[] = [];
      for (let i = 0; i < v.length; i++) items.push(capture(v[i], `${path}[${i}]`, false));
      return { $: 'arr', id, items };
    }
    if (v instanceof Map) {
      const entries: [Node, Node][] = [];
      for (const [k, x] of v) entries.push([capture(k, `${path}.<key>`, false), capture(x, `${path}.get(${String(k)})`, false)]);
      return { $: 'map', id, entries };
    }
    if (v instanceof Set) {
      return { $: 'set', id, items: [...v].map((x, i) => capture(x, `${path}.<${i}>`, false)) };
    }
    const props: Record<string, Node> = {};
    for (const key of Object.keys(v)) {
      if (isRoot && options.skipRootKeys?.has(key)) continue;
      props[key] = capture((v as Record<string, unknown>)[key], `${path}.${key}`, false);
    }
    const proto = Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null;
    return { $: 'obj', id, ctor: proto === null ? 'null' : (proto.constructor?.name ?? 'Object'), props };
  };
  return capture(root, 'state', true);
}

/** Prototypes of every class instance reachable from `root`, by constructor name (for objects the fresh graph lacks). */
function collectPrototypes(root: unknown): Map<string, object> {
  const out = new Map<string, object>();
  const seen = new Set<object>();
  const visit = (v: unknown): void => {
    if (typeof v !== 'object' || v === null || seen.has(v) || isTyped(v) || v instanceof Promise) return;
    seen.add(v);
    const proto = Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null;
    if (proto !== null && proto.constructor?.name !== undefined) out.set(proto.constructor.name, proto);
    if (v instanceof Map) for (const [k, x] of v) (visit(k), visit(x));
    else if (v instanceof Set) for (const x of v) visit(x);
    else for (const key of Object.keys(v)) visit((v as Record<string, unknown>)[key]);
  };
  visit(root);
  return out;
}

/**
 * Grafts `saved` (from `captureState` on a graph of the same shape) onto the live `root`, in
 * place. Objects the live graph already has at the same place are mutated, not replaced.
 */
export function restoreState(root: object, saved: Node, options: GraftOptions = {}): void {
  const protos = collectPrototypes(root);
  const byId = new Map<number, unknown>();
  const restore = (live: unknown, node: Node, path: string, isRoot: boolean): unknown => {
    if (typeof node !== 'object' || node === null) return node;
    switch (node.$) {
      case 'keep':
        return live;
      case 'ref': {
        if (!byId.has(node.id)) throw new Error(`checkpoint: ${path}: reference to an object not restored yet (#${node.id})`);
        return byId.get(node.id);
      }
      case 'promise': {
        const p = Promise.resolve(restore(undefined, node.value, `${path}.<value>`, false));
        byId.set(node.id, p);
        return p;
      }
      case 'ta': {
        const Ctor = TYPED[node.ctor];
        if (Ctor === undefined) throw new Error(`checkpoint: ${path}: unknown typed array ${node.ctor}`);
        const data = node.data as TypedArray;
        let out: TypedArray;
        if (live instanceof Ctor && live.length === data.length) {
          out = live;
        } else {
          const per = data.BYTES_PER_ELEMENT;
          out = new Ctor(node.shared ? new SharedArrayBuffer(data.length * per) : data.length);
        }
        out.set(data as never);
        byId.set(node.id, out);
        return out;
      }
      case 'detached': {
        const Ctor = TYPED[node.ctor];
        if (Ctor === undefined) throw new Error(`checkpoint: ${path}: unknown typed array ${node.ctor}`);
        const out = new Ctor(0);
        structuredClone(out.buffer, { transfer: [out.buffer as ArrayBuffer] });
        byId.set(node.id, out);
        return out;
      }
      case 'arr': {
        const arr: unknown[] = Array.isArray(live) ? live : [];
        byId.set(node.id, arr);
        const old = arr.slice();
        arr.length = node.items.length;
        node.items.forEach((item, i) => {
          const v = restore(old[i], item, `${path}[${i}]`, false);
          if (!Object.is(arr[i], v)) arr[i] = v;
        });
        return arr;
      }
      case 'map': {
        const map: Map<unknown, unknown> = live instanceof Map ? live : new Map();
        byId.set(node.id, map);
        const old = new Map(map);
        map.clear();
        for (const [kn, vn] of node.entries) {
          const k = restore(undefined, kn, `${path}.<key>`, false);
          map.set(k, restore(old.get(k), vn, `${path}.get(${String(k)})`, false));
        }
        return map;
      }
      case 'set': {
        const set: Set<unknown> = live instanceof Set ? live : new Set();
        byId.set(node.id, set);
        set.clear();
        node.items.forEach((x, i) => set.add(restore(undefined, x, `${path}.<${i}>`, false)));
        return set;
      }
      case 'obj': {
        let obj: Record<string, unknown>;
        const liveProto = typeof live === 'object' && live !== null ? (Object.getPrototypeOf(live) as { constructor?: { name?: string } } | null) : undefined;
        const liveCtor = liveProto === undefined ? undefined : liveProto === null ? 'null' : (liveProto.constructor?.name ?? 'Object');
        if (liveCtor === node.ctor) {
          obj = live as Record<string, unknown>;
        } else if (node.ctor === 'Object') {
          obj = {};
        } else if (node.ctor === 'null') {
          obj = Object.create(null) as Record<string, unknown>;
        } else {
          const proto = protos.get(node.ctor);
          if (proto === undefined) throw new Error(`checkpoint: ${path}: no live ${node.ctor} to restore into`);
          obj = Object.create(proto) as Record<string, unknown>;
        }
        byId.set(node.id, obj);
        for (const key of Object.keys(obj)) {
          if (isRoot && options.skipRootKeys?.has(key)) continue;
          if (!(key in node.props)) delete obj[key];
        }
        for (const [key, vn] of Object.entries(node.props)) {
          const v = restore(obj[key], vn, `${path}.${key}`, false);
          if (!Object.is(obj[key], v)) obj[key] = v;
        }
        return obj;
      }
    }
  };
  if (options.skip?.has(root)) return;
  restore(root, saved, 'state', true);
}
