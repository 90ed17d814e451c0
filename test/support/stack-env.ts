import { inject } from 'vitest';
import './stack-info.ts';

// Client libraries in the test process talk to the same emulators and database as the functions, but directly: a
// test that makes a dependency refuse or hang for the functions can still check that dependency itself.
Object.assign(process.env, inject('stack').directEnv);
