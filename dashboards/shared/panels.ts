import { PanelBuilder as BarGaugePanel } from '@grafana/grafana-foundation-sdk/bargauge';
import type * as sdk from '@grafana/grafana-foundation-sdk/cog';
import {
  type DataSourceRef, BarGaugeDisplayMode, BigValueColorMode, BigValueGraphMode, BigValueTextMode, LegendDisplayMode, LegendPlacement,
  ReduceDataOptionsBuilder, SortOrder, StackingConfigBuilder, StackingMode, TooltipDisplayMode, VisibilityMode,
  VizLegendOptionsBuilder, VizOrientation, VizTooltipOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardBuilder, DashboardCursorSync, type DashboardLinkBuilder, type Panel, type ThresholdsConfigBuilder,
  type ValueMapping, type VariableModel, MappingType,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as HeatmapPanel, YAxisConfigBuilder } from '@grafana/grafana-foundation-sdk/heatmap';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as StateTimelinePanel } from '@grafana/grafana-foundation-sdk/statetimeline';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { METRICS_DATASOURCE } from './datasources.js';
import { DashboardTag, dashboardMenus } from './links.js';
import { Thresholds } from './units.js';
import type { DashboardModel } from '../../constructs/metrics/grafana.js';

/** One PromQL query of a metrics panel. */
export interface MetricsQuery {
  readonly expr: string;
  /** The series' name in the legend (`{{device}} {{interface}}`). @default - the series' labels */
  readonly legend?: string;
  /**
   * Evaluate at the end of the range only: what stats, bar gauges and tables show.
   * @default false - a range query, one point per interval
   */
  readonly instant?: boolean;
  /** `table` makes labels columns (tables); `heatmap` reads `le` buckets. @default - time series */
  readonly format?: 'table' | 'heatmap';
}

/** What every panel states: a title, what it answers, its unit and its queries. */
export interface PanelSpec {
  readonly title: string;
  /** The question the panel answers, shown under its (i) icon. */
  readonly description: string;
  readonly unit: string;
  readonly queries: readonly MetricsQuery[];
  /** Grid columns of 24. */
  readonly width: number;
  /** Grid rows (30 px each). */
  readonly height: number;
  /** @default - one colour */
  readonly thresholds?: ThresholdsConfigBuilder;
  /** Links on every value (drill-down). @default - none */
  readonly links?: readonly DashboardLinkBuilder[];
  /** @default - from the data */
  readonly min?: number;
  /** @default - from the data */
  readonly max?: number;
  /** Texts for numbers that stand for states. @default - none */
  readonly mappings?: readonly ValueMapping[];
  /** What an empty result shows, when empty means something good (`0`, `none`). @default - "No data" */
  readonly noValue?: string;
}

/** The panel builders' common surface. */
interface AnyPanel {
  title(title: string): this;
  description(description: string): this;
  datasource(datasource: DataSourceRef): this;
  withTarget(target: sdk.Builder<sdk.Dataquery>): this;
  unit(unit: string): this;
  span(w: number): this;
  height(h: number): this;
  thresholds(thresholds: sdk.Builder<unknown>): this;
  dataLinks(links: Array<sdk.Builder<unknown>>): this;
  min(min: number): this;
  max(max: number): this;
  mappings(mappings: ValueMapping[]): this;
  noValue(noValue: string): this;
}

const REF_IDS = 'ABCDEFGHIJ';

function prometheusTarget(query: MetricsQuery, index: number): DataqueryBuilder {
  const target = new DataqueryBuilder()
    .refId(REF_IDS[index])
    .datasource(METRICS_DATASOURCE)
    .expr(query.expr);
  if (query.legend) target.legendFormat(query.legend);
  if (query.instant) target.instant();
  else target.range();
  if (query.format === 'table') target.format(PromQueryFormat.Table);
  if (query.format === 'heatmap') target.format(PromQueryFormat.Heatmap);
  return target;
}

function common<P extends AnyPanel>(panel: P, spec: PanelSpec): P {
  if (spec.queries.length === 0 || spec.queries.length > REF_IDS.length) throw new Error(`panel "${spec.title}": ${spec.queries.length} queries; give 1 to ${REF_IDS.length}`);
  panel.title(spec.title)
    .description(spec.description)
    .datasource(METRICS_DATASOURCE)
    .unit(spec.unit)
    .span(spec.width)
    .height(spec.height)
    .thresholds(spec.thresholds ?? Thresholds.neutral());
  spec.queries.forEach((q, i) => panel.withTarget(prometheusTarget(q, i)));
  if (spec.links?.length) panel.dataLinks([...spec.links]);
  if (spec.min !== undefined) panel.min(spec.min);
  if (spec.max !== undefined) panel.max(spec.max);
  if (spec.mappings?.length) panel.mappings([...spec.mappings]);
  if (spec.noValue !== undefined) panel.noValue(spec.noValue);
  return panel;
}

/** Numbers shown as texts, coloured: `{ 1: ['up', 'green'], 2: ['down', 'red'] }`. */
export function stateMappings(states: Readonly<Record<number, readonly [string, string]>>): ValueMapping[] {
  return [{
    type: MappingType.ValueToText,
    options: Object.fromEntries(Object.entries(states).map(([value, [text, color]], index) => [value, { text, color, index }])),
  }];
}

/** The last value of each series (stats, bar gauges): never the mean of a range. */
function lastValue(): ReduceDataOptionsBuilder {
  return new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false);
}

export interface TimeSeriesSpec extends PanelSpec {
  /** Stack the series (parts of a whole, such as traffic per site). @default false */
  readonly stacked?: boolean;
}

/** A time series panel with a table legend showing each series' mean and maximum. */
export function timeSeries(spec: TimeSeriesSpec): TimeSeriesPanel {
  const panel = common(new TimeSeriesPanel(), spec)
    .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.Table).placement(LegendPlacement.Bottom).calcs(['mean', 'max']))
    .tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending))
    .fillOpacity(spec.stacked ? 30 : 10);
  if (spec.stacked) panel.stacking(new StackingConfigBuilder().mode(StackingMode.Normal));
  return panel;
}

export interface StatSpec extends PanelSpec {
  /** Draw the series behind the number. @default false */
  readonly sparkline?: boolean;
}

/** Big numbers, one per series, coloured by the thresholds. */
export function stat(spec: StatSpec): StatPanel {
  return common(new StatPanel(), spec)
    .reduceOptions(lastValue())
    .graphMode(spec.sparkline ? BigValueGraphMode.Area : BigValueGraphMode.None)
    .colorMode(BigValueColorMode.Value)
    .textMode(BigValueTextMode.Auto)
    .orientation(VizOrientation.Auto);
}

/** Horizontal bars, one per series, largest first as the query sorts them. */
export function barGauge(spec: PanelSpec): BarGaugePanel {
  return common(new BarGaugePanel(), spec)
    .reduceOptions(lastValue())
    .displayMode(BarGaugeDisplayMode.Gradient)
    .orientation(VizOrientation.Horizontal)
    .showUnfilled(true);
}

/** One row per series, coloured by its state over time (needs `mappings`). */
export function stateTimeline(spec: PanelSpec): StateTimelinePanel {
  return common(new StateTimelinePanel(), spec)
    .showValue(VisibilityMode.Never)
    .mergeValues(true)
    .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom))
    .tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Single).sort(SortOrder.None));
}

export interface HeatmapSpec extends PanelSpec {
  /** The unit of the buckets' bounds (the y axis); `unit` is that of the counts in them. */
  readonly bucketUnit: string;
}

/** Buckets (`le` labels, cumulative as Prometheus histograms are) over time. */
export function heatmap(spec: HeatmapSpec): HeatmapPanel {
  return common(new HeatmapPanel(), spec).calculate(false).yAxis(new YAxisConfigBuilder().unit(spec.bucketUnit));
}

export interface TableSpec extends PanelSpec {
  /** Columns to show, in order, with their titles; the others are hidden. */
  readonly columns: Readonly<Record<string, string>>;
}

/**
 * Rows of instant queries (format table) joined on their labels: the queries' value
 * columns are `Value #A`, `Value #B`... (`Value` with one query).
 */
export function table(spec: TableSpec): TablePanel {
  const names = Object.keys(spec.columns);
  const panel = common(new TablePanel(), spec);
  if (spec.queries.length > 1) panel.withTransformation({ id: 'merge', options: {} });
  return panel.withTransformation({
    id: 'organize',
    options: {
      // Only the listed columns: the rest (Time, job, instance...) is noise here.
      includeByName: Object.fromEntries(names.map((n) => [n, true])),
      indexByName: Object.fromEntries(names.map((n, i) => [n, i])),
      renameByName: { ...spec.columns },
    },
  });
}

export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  /** What the dashboard answers, shown in the dashboard list. */
  readonly description: string;
  /** The pipeline it belongs to: DashboardTag.NETWORK or DashboardTag.FLOWS. */
  readonly tag: string;
  readonly variables: ReadonlyArray<sdk.Builder<VariableModel>>;
  /** Placed left to right, wrapping at 24 columns. */
  readonly panels: ReadonlyArray<sdk.Builder<Panel>>;
  /** @default "now-6h" */
  readonly from?: string;
}

/**
 * A Helios dashboard as Grafana provisions it: read-only (dashboards are code),
 * shared crosshair, refreshed every minute, the Network and Flows menus at the top,
 * panels numbered in order.
 */
export function heliosDashboard(spec: DashboardSpec): DashboardModel {
  const builder = new DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags([DashboardTag.HELIOS, spec.tag])
    .readonly()
    .tooltip(DashboardCursorSync.Crosshair)
    .timezone('browser')
    .time({ from: spec.from ?? 'now-6h', to: 'now' })
    .refresh('1m')
    .links(dashboardMenus())
    .variables([...spec.variables]);
  for (const panel of spec.panels) builder.withPanel(panel);
  const dashboard = builder.build();
  const panels = (dashboard.panels ?? []).map((p, i) => ({ ...p, id: i + 1 }));
  // As JSON: the SDK's query objects carry a marker method, which a file cannot hold.
  return JSON.parse(JSON.stringify({ ...dashboard, panels, uid: spec.uid, title: spec.title })) as DashboardModel;
}
