/** Vega-Lite -> Vega -> static SVG, entirely in Node (headless view, no DOM, no network). */
import { compile, type TopLevelSpec } from 'vega-lite';
import { parse, View } from 'vega';

/**
 * Prefix every id an SVG defines (Vega's clip paths) and the references to it, so several SVGs
 * inlined in one page cannot resolve `url(#clip1)` to another plot's clip path.
 */
export function scopeSvgIds(svg: string, prefix: string): string {
  const ids = new Set([...svg.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!));
  if (ids.size === 0) return svg;
  return svg
    .replace(/\sid="([^"]+)"/g, (all, id: string) => (ids.has(id) ? ` id="${prefix}-${id}"` : all))
    .replace(/url\(#([^)]+)\)/g, (all, id: string) => (ids.has(id) ? `url(#${prefix}-${id})` : all))
    .replace(/href="#([^"]+)"/g, (all, id: string) => (ids.has(id) ? `href="#${prefix}-${id}"` : all));
}

export async function renderSvg(spec: TopLevelSpec, idPrefix?: string): Promise<string> {
  const vegaSpec = compile(spec).spec;
  const view = new View(parse(vegaSpec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return idPrefix ? scopeSvgIds(svg, idPrefix) : svg;
  } finally {
    view.finalize();
  }
}
