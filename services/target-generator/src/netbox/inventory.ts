import { NetBoxClient, type NetBoxClientOptions, PAGING_PARAMETERS } from '@helios/netbox-client';
import { type DeviceRecord, deviceRecord, type NetBoxDevice, type NetBoxSite, type SiteRecord, siteRecord } from './devices.js';

/** Everything a sync reads from NetBox, read in full or not at all. */
export interface NetBoxInventory {
  readonly devices: readonly DeviceRecord[];
  readonly sites: readonly SiteRecord[];
}

/** The filter that selects the devices Helios monitors (NetBox accepts it though its schema omits cf_ filters). */
export const MONITORED = { name: 'cf_helios_monitor', value: 'true' } as const;

/** Parameters a device filter may not set: the client owns paging and ordering, the Target Generator the rest. */
const RESERVED = [...PAGING_PARAMETERS, 'exclude', MONITORED.name];

export function checkDeviceFilter(filter: URLSearchParams): void {
  for (const key of filter.keys()) {
    if (RESERVED.includes(key)) throw new Error(`the device filter may not set "${key}": the Target Generator sets ${RESERVED.join(', ')} itself`);
  }
}

/** Fields of a device the generators read; a device without them means the response is not what NetBox sends. */
function checkDevice(device: Partial<NetBoxDevice>): void {
  if (typeof device.site?.id !== 'number' || typeof device.site?.slug !== 'string') throw new Error('no "site" with id and slug');
  if (typeof device.role?.slug !== 'string') throw new Error('no "role" with a slug');
  if (typeof device.device_type?.manufacturer?.slug !== 'string') throw new Error('no "device_type.manufacturer" with a slug');
}

export interface NetBoxInventorySourceOptions extends NetBoxClientOptions {
  /** Extra device filters, as NetBox's query parameters (site=ams1&status=active). @default - none */
  readonly deviceFilter?: URLSearchParams;
}

/**
 * The monitored devices and the sites (for their regions: a device's site carries
 * no region), of each only what the generators read. A device's full JSON is
 * ~2 KiB, and a fleet of them would otherwise stay in memory for the whole sync.
 */
export class NetBoxInventorySource {
  private readonly client: NetBoxClient;
  private readonly devicesFilter: URLSearchParams;

  public constructor(options: NetBoxInventorySourceOptions) {
    const { deviceFilter = new URLSearchParams(), ...clientOptions } = options;
    checkDeviceFilter(deviceFilter);
    this.client = new NetBoxClient(clientOptions);
    this.devicesFilter = new URLSearchParams(deviceFilter);
    this.devicesFilter.set(MONITORED.name, MONITORED.value);
    // The rendered config context is the costliest part of a device for NetBox to build, and unused here.
    this.devicesFilter.set('exclude', 'config_context');
  }

  public async inventory(): Promise<NetBoxInventory> {
    // Sites first: they are few, and a NetBox that fails here fails before the long device read.
    const sites = await this.client.list('/api/dcim/sites/', { keep: (s: NetBoxSite) => siteRecord(s) });
    const devices = await this.client.list('/api/dcim/devices/', {
      filter: this.devicesFilter,
      keep: (d: NetBoxDevice) => {
        checkDevice(d);
        return deviceRecord(d);
      },
    });
    return { devices, sites };
  }
}
