/** What every Helios dashboard shares: datasources, variables, links, units and panel builders. */
export * from './datasources.js';
export * from './links.js';
export * from './panels.js';
export * from './units.js';
export * from './variables.js';
export * from './promql.js';
