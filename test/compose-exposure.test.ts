// docker-compose.yml publishes Temporal's frontend and Web UI on loopback only (issue 11): whoever
// reaches them can signal workflows (e.g. an approval under any name), bypassing the API's roles.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** service name → its published port mappings, read line by line (the file's own two-space layout). */
function publishedPorts(compose: string): Map<string, string[]> {
  const ports = new Map<string, string[]>();
  let section = '';
  let service = '';
  let inPorts = false;
  for (const line of compose.split('\n')) {
    if (/^\S/.test(line)) section = line.replace(/:.*$/, '');
    const serviceMatch = /^ {2}([\w-]+):\s*$/.exec(line);
    if (section === 'services' && serviceMatch) {
      service = serviceMatch[1];
      inPorts = false;
      continue;
    }
    if (/^ {4}\S/.test(line)) inPorts = /^ {4}ports:/.test(line);
    const entry = /^ {6}- "?([^"\s]+)"?/.exec(line);
    if (inPorts && entry) ports.set(service, [...(ports.get(service) ?? []), entry[1]]);
  }
  return ports;
}

test('Temporal (7233) and its Web UI (8233) are bound to 127.0.0.1 only', () => {
  const ports = publishedPorts(readFileSync(join(__dirname, '..', 'docker-compose.yml'), 'utf8'));
  expect(ports.get('temporal')).toEqual(['127.0.0.1:7233:7233']);
  expect(ports.get('temporal-ui')).toEqual(['127.0.0.1:8233:8080']);
});
