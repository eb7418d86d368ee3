import { bitsPerSecondSql, EXPORTER_FILTER, flowDashboard, orUnknown, tablePanel, timeSeriesPanel, topSql } from './shared.js';
import type { DashboardModel } from '../../constructs/metrics/grafana.js';
import { DashboardUid } from '../shared/links.js';

/**
 * Flows carry the two ends of a path (the source and destination AS from GeoIP), not
 * the AS path between them. Transit is traffic neither of whose addresses is in a
 * Helios site: it only crosses the network.
 */
const TRANSIT = "src_site = '' AND dst_site = ''";

export function asPathsDashboard(): DashboardModel {
  return flowDashboard({
    uid: DashboardUid.FLOW_AS_PATHS,
    title: 'Flows / AS Paths',
    description: 'Which autonomous systems the traffic comes from and goes to, which AS pairs carry the most, and how much only transits the network.',
    panels: [
      tablePanel('Top source AS', 'Autonomous systems sending the most bytes (GeoIP AS of the source address; 0: none known).',
        topSql(['src_as AS source_as'], ['src_as'], EXPORTER_FILTER, 'src_as')).height(10).span(12),
      tablePanel('Top destination AS', 'Autonomous systems receiving the most bytes (GeoIP AS of the destination address).',
        topSql(['dst_as AS destination_as'], ['dst_as'], EXPORTER_FILTER, 'dst_as')).height(10).span(12),
      tablePanel('AS pairs by exporter site', 'Source AS → destination AS by bytes, and the site whose exporters saw them: the two ends of each path through the network.',
        topSql(['src_as AS source_as', 'dst_as AS destination_as', `${orUnknown('exporter_site', 'unknown')} AS site`],
          ['src_as', 'dst_as', 'exporter_site'], EXPORTER_FILTER)).height(10).span(24),
      timeSeriesPanel('Transit traffic', 'Estimated bits per second of traffic whose source and destination are both outside Helios\'s sites, by exporter site.',
        bitsPerSecondSql(orUnknown('exporter_site', 'unknown'), ['exporter_site'], `${TRANSIT} AND ${EXPORTER_FILTER}`)).height(8).span(12),
      tablePanel('Top transit AS pairs', 'The AS pairs of transit traffic by bytes.',
        topSql(['src_as AS source_as', 'dst_as AS destination_as'], ['src_as', 'dst_as'], `${TRANSIT} AND ${EXPORTER_FILTER}`)).height(8).span(12),
    ],
  });
}
