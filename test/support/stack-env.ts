import { inject } from 'vitest';
import './stack-info.ts';

// Client libraries in the test process talk to the same emulators and database as the functions do.
Object.assign(process.env, inject('stack').env);
