export * from './common.ts';
export * from './events.ts';
export * from './envelope.ts';
export * from './http.ts';
export * from './problems.ts';
export * from './topology.ts';
export * from './catalog.ts';
export * from './admin.ts';
