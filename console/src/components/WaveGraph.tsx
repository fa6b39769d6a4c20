import type { components } from "../api/schema";

type OrderStep = components["schemas"]["OrderStep"];

export interface GraphWave {
  waveNumber: number;
  waveName: string;
  pauseBeforeWave: boolean;
  onServerFailure?: string;
}

const BOX_W = 170, BOX_H = 52, GAP_X = 70, GAP_Y = 18, PAD = 12;

/** Box positions: one column per step of the effective order, its waves stacked. */
export function layout(order: OrderStep[]): Map<number, { x: number; y: number; step: number }> {
  const at = new Map<number, { x: number; y: number; step: number }>();
  order.forEach((s, col) => s.waves.forEach((w, row) => {
    at.set(w, { x: PAD + col * (BOX_W + GAP_X), y: PAD + 18 + row * (BOX_H + GAP_Y), step: s.step });
  }));
  return at;
}

/** The edges: each wave to every wave it waits for, as the API's effective order states it. */
export function edges(order: OrderStep[]): { from: number; to: number }[] {
  return order.flatMap((s) => Object.entries(s.waitsFor).flatMap(([w, deps]) => deps.map((d) => ({ from: d, to: Number(w) }))));
}

/** The wave order drawn as a graph: steps left to right, an arrow from a wave to each wave that
 * waits for it, a pause before a wave drawn as a marked left edge. */
export function WaveGraph({ order, waves }: { order: OrderStep[]; waves: GraphWave[] }) {
  const at = layout(order);
  const byNumber = new Map(waves.map((w) => [w.waveNumber, w]));
  const rows = Math.max(1, ...order.map((s) => s.waves.length));
  const width = PAD * 2 + Math.max(1, order.length) * (BOX_W + GAP_X) - GAP_X;
  const height = PAD * 2 + 18 + rows * (BOX_H + GAP_Y) - GAP_Y;
  const description = order.map((s) => `step ${s.step}: wave ${s.waves.join(", ")}`).join("; ");
  if (!order.length) return <div data-testid="wave-graph">No waves yet.</div>;
  return (
    <svg data-testid="wave-graph" role="img" aria-label={`Wave order: ${description}`} viewBox={`0 0 ${width} ${height}`}
      style={{ width: "100%", maxWidth: width, height: "auto", display: "block" }}>
      <defs>
        <marker id="wave-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" fill="#414d5c" />
        </marker>
      </defs>
      {order.map((s, col) => (
        <text key={`s${s.step}`} x={PAD + col * (BOX_W + GAP_X)} y={PAD + 8} fontSize="12" fill="#414d5c">
          Step {s.step}{s.runTogether ? " (together)" : ""}
        </text>
      ))}
      {edges(order).map(({ from, to }) => {
        const a = at.get(from), b = at.get(to);
        if (!a || !b) return null;
        const x1 = a.x + BOX_W, y1 = a.y + BOX_H / 2, x2 = b.x, y2 = b.y + BOX_H / 2;
        const mid = (x1 + x2) / 2;
        return <path key={`${from}-${to}`} data-testid="wave-edge" d={`M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2 - 2} ${y2}`}
          fill="none" stroke="#414d5c" strokeWidth="1.5" markerEnd="url(#wave-arrow)" />;
      })}
      {[...at.entries()].map(([n, p]) => {
        const w = byNumber.get(n);
        return (
          <g key={n} data-testid="wave-node">
            <rect x={p.x} y={p.y} width={BOX_W} height={BOX_H} rx="6" fill="#f2f8fd" stroke="#0972d3" strokeWidth="1.5" />
            {w?.pauseBeforeWave && (
              <g data-testid="wave-pause">
                <rect x={p.x - 1} y={p.y} width="6" height={BOX_H} fill="#8d6605" />
                <title>pauses before this wave</title>
              </g>
            )}
            <text x={p.x + 12} y={p.y + 21} fontSize="13" fontWeight="bold" fill="#000716">Wave {n}</text>
            <text x={p.x + 12} y={p.y + 39} fontSize="12" fill="#414d5c">
              {(w?.waveName ?? "").slice(0, 18)}{w?.pauseBeforeWave ? " · pause" : ""}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
