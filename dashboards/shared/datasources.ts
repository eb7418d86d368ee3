import type * as common from '@grafana/grafana-foundation-sdk/common';
import { DatasourceVariableBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { CLICKHOUSE_PLUGIN } from '../../constructs/metrics/grafana.js';

/**
 * The datasources Grafana provisions (constructs/metrics/grafana.ts), by the uids
 * dashboards refer to them with: a uid that names nothing leaves a panel empty.
 */
export const DatasourceUid = {
  /** Thanos Query: every Prometheus series of the cluster, deduplicated across replicas. */
  METRICS: 'thanos',
  ALERTMANAGER: 'alertmanager',
  /** The flow store (ClickHouse). */
  FLOWS: 'clickhouse',
} as const;

/** Grafana's plugin type of each provisioned datasource. */
export const DatasourceType = {
  METRICS: 'prometheus',
  ALERTMANAGER: 'alertmanager',
  FLOWS: CLICKHOUSE_PLUGIN.id,
} as const;

/**
 * The datasource variable metrics panels read through: Thanos by default, and
 * another Prometheus-type datasource an operator adds (a federation's global
 * query) without editing dashboards.
 */
export const METRICS_DATASOURCE_VARIABLE = 'datasource';

/** What metrics panels and variables name as their datasource. */
export const METRICS_DATASOURCE: common.DataSourceRef = { type: DatasourceType.METRICS, uid: `\${${METRICS_DATASOURCE_VARIABLE}}` };

export function metricsDatasourceVariable(): DatasourceVariableBuilder {
  return new DatasourceVariableBuilder(METRICS_DATASOURCE_VARIABLE)
    .label('Metrics')
    .type(DatasourceType.METRICS)
    .current({ selected: true, text: 'Thanos', value: DatasourceUid.METRICS });
}
