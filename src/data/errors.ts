/** Errors in the user's data (a folder set's files), reported as a message without a stack. */

/** A data set the loader cannot read as asked: the message names the file and the problem. */
export class DataError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DataError';
  }
}
