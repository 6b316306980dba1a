import type { Plugin } from 'esbuild';

/** esbuild plugin for `new URL('<relative literal>', import.meta.url)` assets and Web Worker entries (see esbuild-assets.mjs). */
export function assetUrls(emitted?: Map<string, number>): Plugin;
