/** startSeaweedfs refuses a fixed port that something else holds, before it starts anything (no binary needed). */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSeaweedfs } from '../../scripts/seaweedfs';

it('names a fixed port that is already in use, and starts nothing', async () => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const port = (holder.address() as AddressInfo).port;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'seaweedfs-port-'));
  try {
    await expect(
      startSeaweedfs({
        binaryPath: path.join(dataDir, 'no-binary-needed'),
        dataDir,
        accessKey: 'a',
        secretKey: 'b',
        buckets: ['documents'],
        ports: { s3: port },
      }),
    ).rejects.toThrow(`SeaweedFS s3 port 127.0.0.1:${port} is already in use`);
    expect(existsSync(path.join(dataDir, 'weed.pid'))).toBe(false);
  } finally {
    await new Promise<void>((resolve) => holder.close(() => resolve()));
    rmSync(dataDir, { recursive: true, force: true });
  }
});
