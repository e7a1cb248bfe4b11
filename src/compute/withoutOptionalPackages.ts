/**
 * An import function that finds none of the optional compute packages (the WebGPU peers and
 * tfjs-node, -node-gpu), as on a machine without them, whatever this checkout has installed:
 * tests of what splitwire says on such a machine pass it as `selectBackend`'s `importModule`,
 * so they hold where a developer has installed the WebGPU peers (docs/gpu.md's packing step).
 */
export const OPTIONAL_COMPUTE_PACKAGES = ['webgpu', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'];

/** `import(name)`, except that the optional compute packages are reported as not installed. */
export async function importWithoutOptionalPackages(name: string): Promise<unknown> {
  if (OPTIONAL_COMPUTE_PACKAGES.includes(name)) {
    throw Object.assign(new Error(`Cannot find package '${name}' imported from splitwire`), { code: 'ERR_MODULE_NOT_FOUND' });
  }
  return import(name);
}
