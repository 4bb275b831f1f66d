// dynalite on a thread of its own. In the caller's thread the engine's parsing, validation and storage share one
// event loop with the runs that call it; here they use a second core. Plain JavaScript: a worker thread does not
// inherit the TypeScript loader the CLI registers.
import { parentPort } from 'node:worker_threads';
import dynalite from 'dynalite';

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.once('error', (error) => parentPort.postMessage({ error: String(error?.message ?? error) }));
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (message) => {
  if (message !== 'close') return;
  server.closeAllConnections();
  server.close(() => parentPort.close());
});
