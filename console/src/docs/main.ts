import SwaggerUIBundle from 'swagger-ui-dist/swagger-ui-es-bundle.js';
import 'swagger-ui-dist/swagger-ui.css';
import '../shared/styles.css';
import './docs-contrast.css';
import recipes from '../../../docs/recipes.md?raw';

/**
 * The API reference at /api/docs: the server's own OpenAPI document rendered by Swagger UI,
 * bundled here (no CDN), with the integration recipes as its introduction. Operations that are
 * not in the editor API carry `x-cutroom-extension` and say so in their description.
 */
async function show(): Promise<void> {
  const spec = (await (await fetch('/api/openapi.json')).json()) as { info: Record<string, unknown> };
  spec.info.description = recipes;
  SwaggerUIBundle({
    spec,
    dom_id: '#swagger',
    deepLinking: true,
    showExtensions: true,
    displayRequestDuration: true,
    validatorUrl: 'none',
    tryItOutEnabled: false,
    defaultModelsExpandDepth: 0,
    onComplete: () => performance.mark('cutroom-interactive'),
  });
}

show().catch((error: Error) => {
  document.getElementById('swagger')!.textContent = `The API document could not be loaded: ${error.message}`;
});
