/** Vega-Lite -> Vega -> static SVG, entirely in Node (headless view, no DOM, no network). */
import { compile, type TopLevelSpec } from 'vega-lite';
import { parse, View } from 'vega';

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vegaSpec = compile(spec).spec;
  const view = new View(parse(vegaSpec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
