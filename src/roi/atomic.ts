/**
 * All-or-nothing file writes: every file is first written in full to a temporary name in its
 * own folder, and only when all are written are they renamed into place (rename within one
 * file system is atomic). On any error the temporaries are removed and no target is touched.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface FileToWrite {
  path: string;
  content: string | Uint8Array;
}

let counter = 0;

/** Writes `files` so that readers see either none or all of them complete. */
export async function writeFilesAtomic(files: readonly FileToWrite[]): Promise<void> {
  const temps: string[] = [];
  try {
    for (const f of files) {
      await mkdir(dirname(f.path), { recursive: true });
      const temp = join(dirname(f.path), `.${basename(f.path)}.${process.pid}.${counter++}.tmp`);
      temps.push(temp);
      await writeFile(temp, f.content);
    }
  } catch (err) {
    await Promise.all(temps.map((t) => rm(t, { force: true })));
    throw err;
  }
  // The renames come last; a failure here (a target turned into a folder, say) still removes
  // what has not been moved.
  for (const [i, f] of files.entries()) {
    try {
      await rename(temps[i]!, f.path);
    } catch (err) {
      await Promise.all(temps.slice(i).map((t) => rm(t, { force: true })));
      throw err;
    }
  }
}
