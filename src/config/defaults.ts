/**
 * What `npm run synth` builds when there is no helios.yaml: one medium cluster
 * (about 500 devices) in one datacenter, keeping its metrics in its own MinIO.
 * The README shows this text verbatim (a test keeps the two equal).
 */
export const EMBEDDED_DEFAULT_CONFIG = `# The Helios embedded default.
clusters:
  - name: helios
    datacenter: dc1
    tier: medium
    storage:
      topology: single-dc-minio
    # Collectors may open connections only into these networks (gNMI, SNMP, probes).
    # The RFC 1918 ranges are a start; narrow them to your management networks.
    managementNetworks: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]
    netbox:
      url: http://netbox.netbox.svc.cluster.local
`;

export const EMBEDDED_DEFAULT_SOURCE = '(embedded default)';
