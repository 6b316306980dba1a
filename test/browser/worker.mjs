// Web Worker side of the browser kernel test: instantiates the kernel module it receives over the
// shared memory it receives (no fetch, no copy) and runs kernels on request, called through comlink.
import * as Comlink from '/node_modules/comlink/dist/esm/comlink.mjs';

const instances = new Map();

const api = {
  isolated() {
    return self.crossOriginIsolated === true;
  },
  init(build, module, memory) {
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    instances.set(build, instance.exports);
    return memory.buffer instanceof SharedArrayBuffer;
  },
  call(build, name, ...args) {
    const k = instances.get(build);
    if (!k) throw new Error(`worker: build '${build}' not initialised`);
    if (typeof k[name] !== 'function') throw new Error(`worker: no kernel export '${name}'`);
    return k[name](...args);
  },
};

Comlink.expose(api);
