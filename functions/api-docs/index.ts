import { absolutePath } from 'swagger-ui-dist';
import { openApiDocument } from '../../schemas/openapi.ts';
import { serveHandler } from '../lib/http/serve.ts';
import { logger } from '../lib/logger.ts';
import { createApiDocs } from './handler.ts';

serveHandler('api-docs', createApiDocs({ document: () => openApiDocument({ serverUrl: '/' }), assetDir: absolutePath() }), { log: logger });
