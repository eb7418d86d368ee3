import * as common from '@grafana/grafana-foundation-sdk/common';
import { PanelBuilder as GeomapBuilder } from '@grafana/grafana-foundation-sdk/geomap';
import {
  bitsPerSecondSql, EXPORTER_FILTER, flowDashboard, tablePanel, timeSeriesPanel, TOP_N, topSql,
} from './shared.js';
import type { DashboardModel } from '../../constructs/metrics/grafana.js';
import { CLICKHOUSE_DATASOURCE, ClickHouseQueryBuilder, flowTotals } from '../shared/clickhouse.js';
import { DashboardUid } from '../shared/links.js';
import { Unit } from '../shared/units.js';

/**
 * The enricher stores GeoIP's ISO 3166 country code, not coordinates: the map places
 * each country with Grafana's own gazetteer (location mode "lookup" on the `country`
 * column), which knows every code.
 */
const GAZETTEER = 'public/gazetteer/countries.json';

/** Crossing a border: both countries known and different. */
const CROSS_BORDER = "src_country != '' AND dst_country != '' AND src_country != dst_country";

/** Bytes per country, sent and received: each flow counts for its source's and its destination's country. */
const BY_COUNTRY = 'SELECT country, sum(sent) + sum(received) AS bytes, sum(sent) AS bytes_sent, sum(received) AS bytes_received FROM ('
  + `SELECT src_country AS country, sum(bytes) AS sent, toUInt64(0) AS received FROM ${flowTotals(['src_country', 'bytes'], EXPORTER_FILTER)}`
  + ' WHERE src_country != \'\' GROUP BY country'
  + ` UNION ALL SELECT dst_country AS country, toUInt64(0) AS sent, sum(bytes) AS received FROM ${flowTotals(['dst_country', 'bytes'], EXPORTER_FILTER)}`
  + ' WHERE dst_country != \'\' GROUP BY country) GROUP BY country ORDER BY bytes DESC, country';

export function geoDashboard(): DashboardModel {
  return flowDashboard({
    uid: DashboardUid.FLOW_GEO,
    title: 'Flows / Geographic Flows',
    description: 'Where the traffic comes from and goes to by country (GeoIP), and how much crosses borders.',
    panels: [
      new GeomapBuilder()
        .title('Traffic by country')
        .description('Bytes sent and received per country of the addresses (GeoIP) over the range; private and unknown addresses are left out.')
        .datasource(CLICKHOUSE_DATASOURCE)
        .withTarget(new ClickHouseQueryBuilder('A').table(BY_COUNTRY))
        .unit(Unit.BYTES)
        .layers([new common.MapLayerOptionsBuilder()
          .type('markers')
          .name('Countries')
          .location(new common.FrameGeometrySourceBuilder().mode(common.FrameGeometrySourceMode.Lookup).lookup('country').gazetteer(GAZETTEER))
          .config({
            showLegend: true,
            style: {
              size: { field: 'bytes', min: 4, max: 40, fixed: 5 },
              color: { field: 'bytes' },
              text: { mode: 'field', field: 'country', fixed: '' },
              textConfig: { fontSize: 10, offsetY: -12 },
            },
          })
          .tooltip(true)])
        .height(12).span(16),
      tablePanel('Top countries', 'Countries by bytes sent and received over the range.',
        `${BY_COUNTRY} LIMIT ${TOP_N}`).overrideByName('bytes_sent', [{ id: 'unit', value: Unit.BYTES }])
        .overrideByName('bytes_received', [{ id: 'unit', value: Unit.BYTES }]).height(12).span(8),
      timeSeriesPanel('Cross-border traffic', 'Estimated bits per second of flows whose source and destination countries differ, by source country.',
        bitsPerSecondSql('src_country', ['src_country', 'dst_country'], `${CROSS_BORDER} AND ${EXPORTER_FILTER}`)).height(8).span(12),
      tablePanel('Top cross-border country pairs', 'Source country → destination country by bytes, for flows crossing a border.',
        topSql(['src_country AS source_country', 'dst_country AS destination_country'], ['src_country', 'dst_country'],
          `${CROSS_BORDER} AND ${EXPORTER_FILTER}`)).height(8).span(12),
    ],
  });
}
