import type { Browser } from 'playwright-core';

export const CHROMIUM: string;
export const CHROMIUM_ARGS: string[];
/** The repository root. */
export const ROOT: string;
/** The skip reason when Chromium is not installed, else false. */
export const chromiumMissing: string | false;
export function launchChromium(): Promise<Browser>;
/** `sparsepush serve --port 0 <args>` as a child process, answering; close() stops it by its pid. */
export function startServeProcess(args: readonly string[]): Promise<{ readonly origin: string; readonly pid: number; close(): Promise<void> }>;
