// Starting a worker thread from the module beside its caller: the built .js file, or, when the
// caller runs from the TypeScript sources (the tests), the .ts file through tsx's loader.
import { Worker } from 'node:worker_threads';

/** The worker `./<name>.js` (or `.ts`) next to the module at `callerUrl` (its import.meta.url). */
export function startWorker(callerUrl: string, name: string, workerData?: unknown): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, callerUrl), { workerData });
  const url = new URL(`./${name}.ts`, callerUrl);
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}
