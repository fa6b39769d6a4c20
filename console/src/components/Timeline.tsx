import Box from "@cloudscape-design/components/box";
import { duration } from "./Status";

export interface TimelineBar {
  key: string;
  label: string;
  status: string;
  /** seconds from the axis origin */
  start: number | null;
  end: number | null;
  marks?: { at: number; label: string }[];
  /** the plan pauses before this wave */
  pausedBefore?: boolean;
  /** the execution is paused before this wave now, waiting for a resume */
  waitingForResume?: boolean;
}

const MOVED_ON_UNSTARTED = new Set(["QUEUED", "CANCELLED", "SKIPPED", "FAILED", "TIMEOUT"]);

/** What a bar that has not started says: a wave waits for a resume only while the execution is
 * paused before it; a wave that moved on without starting (queued for capacity, cancelled, skipped,
 * or failed or timed out before its launch, e.g. by its launch settings) says so. */
export function notStarted(b: TimelineBar): string {
  if (b.waitingForResume) return "waits for a resume (pause before this wave)";
  if (MOVED_ON_UNSTARTED.has(b.status)) return `${b.status.toLowerCase()}: not started`;
  return b.pausedBefore ? "not started (the plan pauses before this wave)" : "not started";
}

const COLORS: Record<string, string> = {
  COMPLETED: "#037f0c", LAUNCHED: "#037f0c", FAILED: "#d91515", PARTIAL: "#8d6605", CANCELLED: "#5f6b7a",
};

/** Waves on a time axis: one bar per wave from its start to its end (or now), server launches as
 * marks, a pause before a wave drawn as a dashed gap. Times are seconds from the origin. */
export function Timeline({ bars, span }: { bars: TimelineBar[]; span: number }) {
  const total = Math.max(span, 1);
  const pct = (s: number) => `${Math.min(100, Math.max(0, (s / total) * 100))}%`;
  return (
    <div role="list" aria-label="Timeline of waves" data-testid="timeline">
      {bars.map((b) => (
        <div role="listitem" key={b.key} style={{ display: "flex", alignItems: "center", gap: 8, margin: "4px 0" }}
          aria-label={`${b.label}: ${b.status}${b.start !== null ? `, from ${duration(b.start)}` : ""}${b.end !== null ? ` to ${duration(b.end)}` : ""}`}>
          <div style={{ width: 140, flex: "none" }}><Box fontSize="body-s">{b.label}</Box></div>
          <div style={{ position: "relative", flex: 1, height: 18, background: "#f4f4f4", borderRadius: 3 }}>
            {b.pausedBefore && b.start !== null && (
              <span title="paused before this wave" style={{ position: "absolute", left: pct(Math.max(0, b.start - total * 0.02)), width: "2%", top: 0, bottom: 0, borderLeft: "2px dashed #8d6605" }} />
            )}
            {b.start === null && (
              <span style={{ position: "absolute", left: 6, top: 0, fontSize: 12, color: "#5f6b7a" }}>
                {notStarted(b)}
              </span>
            )}
            {b.start !== null && (
              <span data-testid="timeline-bar" title={`${b.status} ${duration(b.start)} - ${b.end !== null ? duration(b.end) : "now"}`}
                style={{ position: "absolute", left: pct(b.start), width: `calc(${pct((b.end ?? total) - b.start)} + 2px)`, top: 2, bottom: 2, borderRadius: 3, background: COLORS[b.status] ?? "#0972d3" }} />
            )}
            {(b.marks ?? []).map((m, i) => (
              <span key={i} title={m.label} style={{ position: "absolute", left: pct(m.at), top: -2, bottom: -2, width: 2, background: "#000716" }} />
            ))}
          </div>
        </div>
      ))}
      <div style={{ display: "flex", justifyContent: "space-between", marginLeft: 148 }}>
        <Box fontSize="body-s" color="text-body-secondary">0s</Box>
        <Box fontSize="body-s" color="text-body-secondary">{duration(total)}</Box>
      </div>
    </div>
  );
}
