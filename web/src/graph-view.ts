/** The drawing of one round's graph: devices on a circle, each message an arrow as thick as its size. */
import { formatBytes } from '../../src/output/format.js';
import type { RoundPicture } from './protocol.js';
import { el } from './svg.js';

const SIZE = 380;
/** Above this many devices the edges are not drawn (they would be a solid disc), only the devices. */
export const MAX_DRAWN_DEVICES = 64;

/** Redraws `host` (an <svg>) and returns the caption text. */
export function drawRound(host: SVGSVGElement, pic: RoundPicture): string {
  host.replaceChildren();
  host.setAttribute('viewBox', `0 0 ${SIZE} ${SIZE}`);
  const n = pic.messageBytes.length;
  const c = SIZE / 2;
  const r = SIZE / 2 - 50;
  const pos = Array.from({ length: n }, (_, i) => {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / n;
    return [c + r * Math.cos(a), c + r * Math.sin(a)] as const;
  });
  const max = Math.max(1, ...pic.messageBytes);
  let messages = 0;
  let total = 0;
  const defs = el('defs', {});
  defs.append(el('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 5, markerHeight: 5, orient: 'auto-start-reverse' }));
  defs.firstElementChild!.append(el('path', { d: 'M0,0L10,5L0,10z', class: 'arrowhead' }));
  host.append(defs);
  host.append(el('text', { x: 12, y: 20, class: 'chart-title' }, 'The last round: who sent what'));
  const drawEdges = pic.outPeers !== null && n <= MAX_DRAWN_DEVICES;
  pic.outPeers?.forEach((peers, i) => {
    const bytes = pic.messageBytes[i]!;
    if (bytes === 0) return;
    for (const j of peers) {
      messages++;
      total += bytes;
      if (!drawEdges) continue;
      const [x1, y1] = pos[i]!;
      const [x2, y2] = pos[j]!;
      // Bend every arrow to its left so that i -> j and j -> i do not overlap; stop short of the node.
      const mx = (x1 + x2) / 2 + (y2 - y1) * 0.12;
      const my = (y1 + y2) / 2 - (x2 - x1) * 0.12;
      const len = Math.hypot(x2 - mx, y2 - my) || 1;
      const ex = x2 - ((x2 - mx) / len) * 9;
      const ey = y2 - ((y2 - my) / len) * 9;
      host.append(el('path', {
        d: `M${x1.toFixed(1)},${y1.toFixed(1)}Q${mx.toFixed(1)},${my.toFixed(1)} ${ex.toFixed(1)},${ey.toFixed(1)}`,
        class: 'edge', 'stroke-width': (0.6 + 3.4 * (bytes / max)).toFixed(2), 'marker-end': 'url(#arrow)',
      }));
    }
  });
  const labelAll = n <= 24;
  pos.forEach(([x, y], i) => {
    const bytes = pic.messageBytes[i]!;
    const node = el('circle', { cx: x.toFixed(1), cy: y.toFixed(1), r: n <= MAX_DRAWN_DEVICES ? 7 : 3, class: bytes > 0 ? 'node' : 'node idle' });
    node.append(el('title', {}, `device ${i}: ${bytes > 0 ? `${formatBytes(bytes)} to each of ${pic.outPeers?.[i]?.length ?? 0} peers` : 'sent nothing'}`));
    host.append(node);
    if (labelAll) {
      // Outside the circle, anchored away from it so that the text never covers a node.
      const a = -Math.PI / 2 + (2 * Math.PI * i) / n;
      const side = Math.cos(a) > 0.3 ? 'start' : Math.cos(a) < -0.3 ? 'end' : 'middle';
      const lx = c + (r + 13) * Math.cos(a);
      const ly = c + (r + 15) * Math.sin(a);
      host.append(el('text', { x: lx.toFixed(1), y: (ly + 4).toFixed(1), class: 'node-label', 'text-anchor': side }, bytes > 0 ? formatBytes(bytes) : '-'));
    }
  });
  if (pic.outPeers === null) {
    // Server algorithms: every sending device posts one message to the server.
    messages = pic.messageBytes.filter((b) => b > 0).length;
    total = pic.messageBytes.reduce((a, b) => a + b, 0);
  }
  const largest = Math.max(0, ...pic.messageBytes);
  const note = drawEdges || pic.outPeers === null ? '' : ` (arrows not drawn above ${MAX_DRAWN_DEVICES} devices)`;
  return `round ${pic.round}: ${messages} messages${pic.outPeers === null ? ' to the server' : ''}, ${formatBytes(total)} in all, largest ${formatBytes(largest)}${note}`;
}
