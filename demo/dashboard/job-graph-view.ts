import { formatCount, svg } from './dom.ts';
import type { PlanNode, Vertex } from './rest-types.ts';

/**
 * The job graph as SVG: one box per operator (name, implementation, parallelism, records in/out),
 * laid out left to right by depth from the sources, and an arrow per edge labelled with how records
 * move along it (FORWARD, HASH, REBALANCE, ...), from the `plan` of `GET /jobs/:jobId`.
 */
const BOX_W = 200;
const BOX_H = 64;
const GAP_X = 70;
const GAP_Y = 22;

export function renderJobGraph(nodes: PlanNode[], vertices: Vertex[]): SVGElement {
  const byId = new Map(vertices.map((v) => [v.id, v]));
  const depth = new Map<string, number>();
  const depthOf = (id: string, seen: Set<string>): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return 0; // a cycle cannot occur in a stream graph; stay finite anyway
    seen.add(id);
    const node = nodes.find((n) => n.id === id);
    const d = node === undefined || node.inputs.length === 0 ? 0 : 1 + Math.max(...node.inputs.map((i) => depthOf(i.id, seen)));
    depth.set(id, d);
    return d;
  };
  const columns: string[][] = [];
  for (const node of nodes) (columns[depthOf(node.id, new Set())] ??= []).push(node.id);
  const position = new Map<string, { x: number; y: number }>();
  const tallest = Math.max(1, ...columns.map((c) => c.length));
  const height = tallest * (BOX_H + GAP_Y) + GAP_Y;
  columns.forEach((column, col) => {
    const top = (height - column.length * (BOX_H + GAP_Y) + GAP_Y) / 2;
    column.forEach((id, row) => position.set(id, { x: GAP_X / 2 + col * (BOX_W + GAP_X), y: top + row * (BOX_H + GAP_Y) }));
  });
  const width = Math.max(1, columns.length) * (BOX_W + GAP_X);

  const root = svg('svg', { class: 'job-graph', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': 'job graph' });
  root.append(
    svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, svg('path', { d: 'M 0 0 L 10 5 L 0 10 z' }))),
  );
  for (const node of nodes) {
    const to = position.get(node.id)!;
    for (const input of node.inputs) {
      const from = position.get(input.id);
      if (from === undefined) continue;
      const x1 = from.x + BOX_W;
      const y1 = from.y + BOX_H / 2;
      const x2 = to.x;
      const y2 = to.y + BOX_H / 2;
      const mid = (x1 + x2) / 2;
      const label = input['side-output'] !== undefined ? `${input.ship_strategy} (side: ${input['side-output']})` : input.ship_strategy;
      root.append(
        svg(
          'g',
          { class: 'edge', 'data-source': input.id, 'data-target': node.id },
          svg('path', { d: `M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2} ${y2}`, 'marker-end': 'url(#arrow)' }),
          svg('text', { x: mid, y: (y1 + y2) / 2 - 5, 'text-anchor': 'middle' }, label),
        ),
      );
    }
  }
  for (const node of nodes) {
    const { x, y } = position.get(node.id)!;
    const vertex = byId.get(node.id);
    const counts = vertex === undefined ? '' : `in ${formatCount(vertex.metrics['read-records'])} · out ${formatCount(vertex.metrics['write-records'])}`;
    root.append(
      svg(
        'g',
        { class: `operator impl-${node.operator}${/window/i.test(node.operator) ? ' kind-window' : ''}`, 'data-operator': node.id, transform: `translate(${x} ${y})` },
        svg('rect', { width: BOX_W, height: BOX_H, rx: 6 }),
        svg('text', { x: 10, y: 18, class: 'name' }, clip(node.description, 28)),
        svg('text', { x: 10, y: 36, class: 'detail' }, `${node.operator} · parallelism ${node.parallelism}`),
        svg('text', { x: 10, y: 54, class: 'detail' }, counts),
        svg('title', {}, `${node.description} (uid ${node.id})`),
      ),
    );
  }
  return root;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
