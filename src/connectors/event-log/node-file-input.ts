import { open, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { AsyncBuffer } from 'hyparquet';
import type { ByteInput, ByteStream } from './byte-input.ts';

const CHUNK = 256 * 1024;

/**
 * A file on a Node file system. Loaded only through a dynamic import (see `byte-input.ts`), so
 * browsers never see `node:fs`. Reads go to explicit positions, so a followed file that grows is read
 * on from where the reader stopped.
 */
export class NodeFileInput implements ByteInput {
  readonly seekable = true;
  readonly growable = true;
  readonly path: string;

  constructor(readonly name: string) {
    this.path = name.startsWith('file:') ? fileURLToPath(name) : name;
  }

  async size(): Promise<number> {
    return (await stat(this.path)).size;
  }

  async openStream(position: number): Promise<ByteStream> {
    const handle = await open(this.path, 'r');
    const name = this.name;
    let next = position;
    return {
      async read() {
        const buffer = new Uint8Array(CHUNK);
        const { bytesRead } = await handle.read(buffer, 0, CHUNK, next);
        if (bytesRead === 0) {
          const { size } = await handle.stat();
          if (size < next) throw new Error(`'${name}' shrank to ${size} bytes while being read at byte ${next}: an event log may only grow`);
          return null;
        }
        next += bytesRead;
        return buffer.subarray(0, bytesRead);
      },
      async close() {
        await handle.close();
      },
    };
  }

  async randomAccess(): Promise<AsyncBuffer> {
    const path = this.path;
    return {
      byteLength: await this.size(),
      async slice(start, end) {
        const handle = await open(path, 'r');
        try {
          const length = Math.max(0, (end ?? (await handle.stat()).size) - start);
          const buffer = new Uint8Array(length);
          let filled = 0;
          while (filled < length) {
            const { bytesRead } = await handle.read(buffer, filled, length - filled, start + filled);
            if (bytesRead === 0) break;
            filled += bytesRead;
          }
          return buffer.buffer.slice(0, filled);
        } finally {
          await handle.close();
        }
      },
    };
  }
}
