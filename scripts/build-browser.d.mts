/** Bundles `sparsepush/browser` as an app would; sizes in bytes (see build-browser.mjs). */
export function bundleLibrary(opts?: { outDir?: string; source?: boolean }): Promise<{ js: number; gzip: number; total: number; assets: Record<string, number> }>;
/** Builds the page web/ into outDir (default dist/web). */
export function buildPage(opts?: { outDir?: string; source?: boolean }): Promise<{ main: number; total: number; assets: Record<string, number> }>;
export const LIBRARY_BUDGET_BYTES: number;
