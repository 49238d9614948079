/**
 * The runs chart: changes and duration of the last runs as two bar charts in inline SVG,
 * drawn on the server (no script), each with a title for assistive technology; the page shows
 * the same numbers in a table.
 */
import { html, type SafeHtml } from './html.js';
import type { RunRecord } from '../sync/run-records.js';

const WIDTH = 600;
const HEIGHT = 140;
const PADDING = 24;

export function changesOf(run: RunRecord): number {
  const summary = run.summary;
  if (summary === undefined) return 0;
  return (
    summary.teamsCreated +
    summary.teamsRenamed +
    summary.teamsArchived +
    summary.teamsRestored +
    summary.usersCreated +
    summary.usersUpdated +
    summary.membershipsAdded +
    summary.membershipsRemoved +
    summary.membershipsRepaired
  );
}

function barChart(
  id: string,
  title: string,
  values: readonly number[],
  labels: readonly string[],
  barClass: string,
): SafeHtml {
  const max = Math.max(1, ...values);
  const slot = (WIDTH - 2 * PADDING) / Math.max(1, values.length);
  const barWidth = Math.max(2, slot * 0.7);
  const bars = values.map((value, index) => {
    const height = Math.round(((HEIGHT - 2 * PADDING) * value) / max);
    const x = (PADDING + index * slot + (slot - barWidth) / 2).toFixed(1);
    const y = HEIGHT - PADDING - height;
    return html`<rect
      class="${barClass}"
      x="${x}"
      y="${y}"
      width="${barWidth.toFixed(1)}"
      height="${height}"
      ><title>${labels[index] ?? ''}: ${value}</title></rect
    >`;
  });
  return html`<svg
    class="chart"
    id="${id}"
    role="img"
    aria-labelledby="${id}-title"
    viewBox="0 0 ${WIDTH} ${HEIGHT}"
    xmlns="http://www.w3.org/2000/svg"
  >
    <title id="${id}-title">${title}</title>
    <line
      class="axis"
      x1="${PADDING}"
      y1="${HEIGHT - PADDING}"
      x2="${WIDTH - PADDING}"
      y2="${HEIGHT - PADDING}"
    />
    <text x="${PADDING}" y="14">max ${max}</text>
    ${bars}
  </svg>`;
}

/** Oldest run on the left: runs come newest first from the store. */
export function runsChart(runs: readonly RunRecord[]): SafeHtml {
  const chronological = [...runs].reverse();
  const labels = chronological.map((run) => run.startedAt.slice(0, 16).replace('T', ' '));
  const changes = chronological.map(changesOf);
  const seconds = chronological.map((run) => Math.round((run.summary?.durationMs ?? 0) / 100) / 10);
  return html`<figure>
    ${barChart('chart-changes', `Changes per run, last ${runs.length} runs (oldest first)`, changes, labels, 'bar-changes')}
    ${barChart('chart-duration', `Duration per run in seconds, last ${runs.length} runs (oldest first)`, seconds, labels, 'bar-duration')}
    <figcaption class="muted">
      Changes (blue) and duration (purple) of the last runs, oldest first; the table below has the
      same numbers.
    </figcaption>
  </figure>`;
}
