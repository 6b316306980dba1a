// The bundler test's app: imports the package by name, as any app would; test/browser.bundle.test.ts
// builds it with esbuild (TypeScript workload included) and calls window.runWorkload() in Chromium.
import * as sparsepush from 'sparsepush/browser';
import { runWorkload } from './bundle-workload.ts';

globalThis.runWorkload = () => runWorkload(sparsepush);
