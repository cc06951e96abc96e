// Builds the portal into portal/dist (npm's `prepare` and `npm run build:portal`). Where Vite is not
// installed (a production install without devDependencies) it says so and leaves the install
// green: Lapis then answers /portal/ with a 503 page naming `npm run build:portal`.
import { fileURLToPath } from 'node:url';

const config = fileURLToPath(new URL('./vite.config.ts', import.meta.url));
let vite: typeof import('vite');
try {
  vite = await import('vite');
} catch {
  process.stderr.write('lapis: the portal was not built (Vite is not installed: devDependencies omitted); /portal/ will answer 503 until `npm run build:portal` runs with them.\n');
  process.exit(0);
}
const started = Date.now();
await vite.build({ configFile: config, logLevel: 'warn' });
process.stdout.write(`lapis: portal built into portal/dist in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
