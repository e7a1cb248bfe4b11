/**
 * All-or-nothing file writes: every file is first written in full to a temporary name in its
 * own folder; only when all are written are they renamed into place (rename within one file
 * system is atomic, and replaces a file without a moment where it is missing). A target that
 * existed is hard-linked to a backup first, so a failed rename part-way rolls every earlier
 * target back. On any error no target is left changed and no temporary is left behind.
 */
import { link, lstat, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InputError } from './errors.js';

export interface FileToWrite {
  path: string;
  content: string | Uint8Array;
}

let counter = 0;

function sibling(path: string, tag: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${counter++}.${tag}`);
}

function cannotWrite(path: string, err: unknown): InputError {
  return new InputError(`${path}: cannot write (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
}

/** The file-system step that can fail part-way; injectable so tests can fail it. */
export interface AtomicWriteEffects {
  rename: (from: string, to: string) => Promise<void>;
}

/** Writes `files` so that readers see either all of them new or none changed. */
export async function writeFilesAtomic(
  files: readonly FileToWrite[],
  effects: AtomicWriteEffects = { rename },
): Promise<void> {
  const temps: string[] = [];
  const backups: Array<string | null> = [];
  const cleanup = async (): Promise<void> => {
    await Promise.all([...temps, ...backups].map((p) => (p ? rm(p, { force: true }) : undefined)));
  };
  try {
    for (const f of files) {
      const existing = await lstat(f.path).catch(() => null);
      if (existing && !existing.isFile()) throw new InputError(`${f.path}: cannot write, it is not a plain file`);
      try {
        await mkdir(dirname(f.path), { recursive: true });
        const temp = sibling(f.path, 'tmp');
        temps.push(temp);
        await writeFile(temp, f.content);
        let backup: string | null = null;
        if (existing) {
          backup = sibling(f.path, 'bak');
          await link(f.path, backup);
        }
        backups.push(backup);
      } catch (err) {
        throw cannotWrite(f.path, err);
      }
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
  for (const [i, f] of files.entries()) {
    try {
      await effects.rename(temps[i]!, f.path);
    } catch (err) {
      // Roll back the targets already replaced: restore the old file, or remove the new one.
      for (let j = 0; j < i; j++) {
        const backup = backups[j];
        if (backup) await rename(backup, files[j]!.path);
        else await rm(files[j]!.path, { force: true });
      }
      await cleanup();
      throw cannotWrite(f.path, err);
    }
  }
  await Promise.all(backups.map((b) => (b ? rm(b, { force: true }) : undefined)));
}
