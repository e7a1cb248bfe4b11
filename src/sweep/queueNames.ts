/** Names and limits shared by `splitwire sweep --queue` and `splitwire worker`. */

/** Default BullMQ queue name (`--queue-name`); results live under the same prefix. */
export const DEFAULT_QUEUE_NAME = 'splitwire';

/** Attempts per job when its run throws (a crash or a stalled worker counts separately, below). */
export const DEFAULT_ATTEMPTS = 3;

/**
 * How often a job may be found stalled (its worker stopped renewing the lock: killed, machine
 * lost) and go back to the queue before it fails for good (BullMQ `maxStalledCount`).
 */
export const MAX_STALLED = 2;

/** Default lock of a running job, seconds (BullMQ `lockDuration`; renewed at half of it). */
export const DEFAULT_LOCK_SECONDS = 30;

/** Name of the BullMQ job of a point. */
export const JOB_NAME = 'point';
