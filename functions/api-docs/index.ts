import { fileURLToPath } from 'node:url';
import { absolutePath } from 'swagger-ui-dist';
import { openApiDocument } from '../../schemas/openapi.ts';
import { serveHandler } from '../lib/http/serve.ts';
import { logger } from '../lib/logger.ts';
import { createApiDocs } from './handler.ts';

// The build puts the console's files beside the bundle (dist/functions/api-docs/console), and the deploy uploads them with it.
const consoleDir = fileURLToPath(new URL('./console/', import.meta.url));

serveHandler('api-docs', createApiDocs({ document: () => openApiDocument({ serverUrl: '/' }), assetDir: absolutePath(), consoleDir }), { log: logger });
