import {
  bitsPerSecondSql, EXPORTER_FILTER, flowDashboard, orUnknown, PROTOCOL_NAME, tablePanel, timeSeriesPanel, TOP_SERIES, topSql,
} from './shared.js';
import type { DashboardModel } from '../../constructs/metrics/grafana.js';
import { DashboardUid } from '../shared/links.js';

/** Sites are NetBox's sites of the addresses' prefixes; an address in no Helios prefix is "outside". */
const SRC_SITE = `${orUnknown('src_site', 'outside')} AS source_site`;
const DST_SITE = `${orUnknown('dst_site', 'outside')} AS destination_site`;

export function trafficMatrixDashboard(): DashboardModel {
  return flowDashboard({
    uid: DashboardUid.FLOW_TRAFFIC_MATRIX,
    title: 'Flows / Traffic Matrix',
    description: 'How much traffic goes from where to where: site to site, AS to AS, and which protocols each path carries.',
    panels: [
      tablePanel('Site-to-site matrix', 'Bytes from each source site to each destination site over the range.',
        topSql([SRC_SITE, DST_SITE], ['src_site', 'dst_site'], EXPORTER_FILTER)).height(10).span(12),
      tablePanel('AS-to-AS matrix', 'Bytes from each source AS to each destination AS (GeoIP) over the range; 0 is an address GeoIP has no AS for.',
        topSql(['src_as AS source_as', 'dst_as AS destination_as'], ['src_as', 'dst_as'], EXPORTER_FILTER)).height(10).span(12),
      timeSeriesPanel('Site-to-site traffic', `Estimated bits per second of the ${TOP_SERIES} site pairs with the most bytes in the range; the rest as "other".`,
        bitsPerSecondSql(`concat(${orUnknown('src_site', 'outside')}, ' → ', ${orUnknown('dst_site', 'outside')})`, ['src_site', 'dst_site'],
          EXPORTER_FILTER, TOP_SERIES)).height(8).span(24),
      tablePanel('Protocols per path', 'Bytes per site pair and IP protocol over the range.',
        topSql([SRC_SITE, DST_SITE, `${PROTOCOL_NAME} AS protocol`], ['src_site', 'dst_site', 'proto'], EXPORTER_FILTER)).height(10).span(12),
      tablePanel('Destination AS per source site', 'For each source site, the destination AS it sends bytes to.',
        topSql([SRC_SITE, 'dst_as AS destination_as'], ['src_site', 'dst_as'], EXPORTER_FILTER, 'dst_as'))
        .height(10).span(12),
    ],
  });
}
