export * from './automation-stack.js';
export * from './runbooks.js';
export * from './target-generator.js';
