import { readFileSync } from 'node:fs';
import { openApiDocument } from '../../src/dashboard/openapi-document.js';
import { SCHEMA_FILE, renderApiTypes } from '../../web/scripts/api-types.mjs';

/** The dashboard's API types are generated from the server's OpenAPI document; a stale copy fails here. */
describe("the dashboard's API types", () => {
  it('match what the current OpenAPI document generates (run npm run web:api to update)', async () => {
    const fresh = await renderApiTypes(await openApiDocument());
    const committed = readFileSync(SCHEMA_FILE, 'utf8');
    if (committed !== fresh) throw new Error('web/src/api/schema.d.ts is stale: run npm run web:api to update it, and commit the result');
    expect(committed).toContain('"/api/reviews/{id}/decision"');
  });
});
