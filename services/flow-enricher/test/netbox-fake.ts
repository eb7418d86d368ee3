// The NetBox fake and its fixture builders are shared with the NetBox client's own tests.
export * from '../../../test/peers/harness/netbox-fake.js';
