import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateOpenApiDocument, OPENAPI_PATH } from '../src/openapi.js';

// `npm run openapi`: regenerate the committed document (a test fails while it is stale).
const doc = await generateOpenApiDocument();
mkdirSync(dirname(OPENAPI_PATH), { recursive: true });
writeFileSync(OPENAPI_PATH, doc);
process.stdout.write(`wrote ${OPENAPI_PATH} (${doc.length} bytes)\n`);
