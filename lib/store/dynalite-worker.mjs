// dynalite on its own thread: the engine's work runs on a second core while the runs use the first.
import { parentPort } from 'node:worker_threads';
import dynalite from 'dynalite';

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.once('error', (error) => parentPort.postMessage({ error: error.message }));
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (message) => {
  if (message !== 'close') return;
  server.closeAllConnections();
  server.close(() => parentPort.close());
});
