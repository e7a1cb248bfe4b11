/**
 * The report's charts as Vega-Lite specs, data inlined. Ids double as figure file names
 * (figures/<id>.svg, .png) and as the HTML containers' ids (chart-<id>).
 */
import type { BytesRow, TimelineView } from './data.js';

export type VlSpec = Record<string, unknown>;

export interface ChartSpec {
  id: string;
  title: string;
  /** One line under the title saying what is plotted and from where. */
  caption: string;
  spec: VlSpec;
}

export interface RatePoint {
  label: string;
  compressionRatio: number;
  meanIoU: number;
}

export interface AccuracyPoint {
  series: string;
  round: number;
  simulatedSeconds: number;
  meanIoU: number;
}

const CONFIG = {
  font: 'Helvetica, Arial, sans-serif',
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
};

/** Rate–accuracy curve: one point per setting (or the run's one point). */
export function rateAccuracySpec(points: RatePoint[]): VlSpec {
  const x = {
    field: 'compressionRatio',
    type: 'quantitative',
    scale: { type: 'log', nice: true },
    title: 'compression ratio (raw / wire bytes of split tensors, log scale)',
  };
  const y = {
    field: 'meanIoU',
    type: 'quantitative',
    scale: { zero: false, padding: 12 },
    axis: { format: '.3f' },
    title: 'tail mean IoU',
  };
  const layers: VlSpec[] = [];
  if (points.length > 1) {
    layers.push({ mark: { type: 'line', color: '#9aa5b1' }, encoding: { x, y, order: { field: 'compressionRatio' } } });
  }
  layers.push({
    mark: { type: 'point', filled: true, size: 90, color: '#1f77b4' },
    encoding: {
      x,
      y,
      tooltip: [
        { field: 'label', title: 'setting' },
        { field: 'compressionRatio', title: 'ratio', format: ',.1f' },
        { field: 'meanIoU', title: 'IoU', format: '.3f' },
      ],
    },
  });
  layers.push({ mark: { type: 'text', dy: -12, fontSize: 10 }, encoding: { x, y, text: { field: 'label' } } });
  return { config: CONFIG, width: 460, height: 280, data: { values: points }, layer: layers };
}

/** Wire bytes per round, stacked by kind, one panel per direction (and per setting in a sweep). */
export function bytesPerRoundSpec(rows: BytesRow[], sweep: boolean): VlSpec {
  const facet: VlSpec = { column: { field: 'direction', title: 'direction', sort: ['up', 'down', 'internal'] } };
  if (sweep) facet.row = { field: 'series', title: null };
  return {
    config: CONFIG,
    data: { values: rows },
    facet,
    spec: {
      // Three direction panels with their own y axes fit the page's 1,068-px column at 280 px each.
      width: 280,
      height: 170,
      mark: 'bar',
      encoding: {
        x: { field: 'round', type: 'ordinal', title: 'round' },
        // Rows are already one per (round, kind, direction), so no aggregate: Vega-Lite 6.4 drops a
        // facet's custom sort order when the panel aggregates.
        y: { field: 'wireBytes', type: 'quantitative', title: 'wire bytes', axis: { format: '~s' } },
        // Below the panels, not beside them: beside, the legend of a three-panel facet was cut off.
        color: {
          field: 'kind',
          type: 'nominal',
          title: 'kind',
          scale: { scheme: 'tableau10' },
          legend: { orient: 'bottom', direction: 'horizontal', columns: 5 },
        },
        tooltip: [
          { field: 'round' },
          { field: 'kind' },
          { field: 'wireBytes', title: 'bytes', format: ',' },
          { field: 'messages', title: 'messages' },
        ],
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}

/** Accuracy against simulated time, one line per codec/network setting. */
export function accuracyVsTimeSpec(points: AccuracyPoint[]): VlSpec {
  return {
    config: CONFIG,
    width: 460,
    height: 280,
    data: { values: points },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'simulatedSeconds', type: 'quantitative', title: 'simulated time at the end of the round (s)' },
      y: { field: 'meanIoU', type: 'quantitative', scale: { zero: false }, axis: { format: '.2f' }, title: 'mean IoU' },
      color: { field: 'series', type: 'nominal', title: 'setting', scale: { scheme: 'tableau10' } },
      order: { field: 'round' },
      tooltip: [
        { field: 'series', title: 'setting' },
        { field: 'round' },
        { field: 'simulatedSeconds', title: 'time (s)', format: ',.2f' },
        { field: 'meanIoU', title: 'IoU', format: '.3f' },
      ],
    },
  };
}

/** Gantt-like bars of one round: compute per actor, messages per client link and direction. */
export function timelineSpec(view: TimelineView): VlSpec {
  return {
    config: CONFIG,
    width: 680,
    height: { step: 16 },
    data: { values: view.bars },
    mark: { type: 'bar', cornerRadius: 1 },
    encoding: {
      y: { field: 'lane', type: 'nominal', title: null, sort: { field: 'laneOrder', op: 'min' } },
      x: { field: 'start', type: 'quantitative', title: 'virtual time (s)', scale: { zero: false } },
      x2: { field: 'end' },
      color: { field: 'activity', type: 'nominal', title: 'task / message', scale: { scheme: 'tableau20' } },
      opacity: { condition: { test: "datum.type === 'message'", value: 0.85 }, value: 1 },
      tooltip: [
        { field: 'lane' },
        { field: 'detail' },
        { field: 'start', format: ',.4f' },
        { field: 'end', format: ',.4f' },
      ],
    },
  };
}
