import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFilesAtomic } from './atomic.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'splitwire-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFilesAtomic', () => {
  it('writes every file, creating folders, leaving no temporaries', async () => {
    await writeFilesAtomic([
      { path: join(dir, 'a', 'x.json'), content: '{}' },
      { path: join(dir, 'a', 'x.md'), content: new Uint8Array([104, 105]) },
    ]);
    expect((await readdir(join(dir, 'a'))).sort()).toEqual(['x.json', 'x.md']);
    expect(await readFile(join(dir, 'a', 'x.md'), 'utf8')).toBe('hi');
  });

  it('replaces existing files and drops the backups', async () => {
    await writeFile(join(dir, 'x.json'), 'old');
    await writeFilesAtomic([{ path: join(dir, 'x.json'), content: 'new' }]);
    expect(await readFile(join(dir, 'x.json'), 'utf8')).toBe('new');
    expect(await readdir(dir)).toEqual(['x.json']);
  });

  it('changes nothing when one target is a folder', async () => {
    await writeFile(join(dir, 'x.json'), 'old');
    await mkdir(join(dir, 'x.md'));
    await expect(
      writeFilesAtomic([
        { path: join(dir, 'x.json'), content: 'new' },
        { path: join(dir, 'x.md'), content: 'new' },
      ]),
    ).rejects.toThrow(`${join(dir, 'x.md')}: cannot write, it is not a plain file`);
    expect(await readFile(join(dir, 'x.json'), 'utf8')).toBe('old');
    expect((await readdir(dir)).sort()).toEqual(['x.json', 'x.md']);
  });

  it('changes nothing when a temporary cannot be created', async () => {
    await writeFile(join(dir, 'x.json'), 'old');
    await writeFile(join(dir, 'blocker'), '');
    await expect(
      writeFilesAtomic([
        { path: join(dir, 'x.json'), content: 'new' },
        { path: join(dir, 'blocker', 'y.md'), content: 'new' },
      ]),
    ).rejects.toThrow(/blocker\/y\.md: cannot write/);
    expect(await readFile(join(dir, 'x.json'), 'utf8')).toBe('old');
    expect((await readdir(dir)).sort()).toEqual(['blocker', 'x.json']);
  });

  it('rolls back earlier renames when a later one fails', async () => {
    await writeFile(join(dir, 'a.json'), 'old a');
    let calls = 0;
    const failingSecond = {
      rename: async (from: string, to: string): Promise<void> => {
        if (++calls === 3) throw Object.assign(new Error('boom'), { code: 'EIO' });
        await rename(from, to);
      },
    };
    await expect(
      writeFilesAtomic(
        [
          { path: join(dir, 'a.json'), content: 'new a' },
          { path: join(dir, 'b.json'), content: 'new b' },
          { path: join(dir, 'c.json'), content: 'new c' },
        ],
        failingSecond,
      ),
    ).rejects.toThrow(`${join(dir, 'c.json')}: cannot write (EIO)`);
    expect(await readFile(join(dir, 'a.json'), 'utf8')).toBe('old a');
    expect(await readdir(dir)).toEqual(['a.json']);
  });
});
