/** The data layer: synthetic and folder datasets, client partitioning, batches. */
export type { Batch, Dataset, Sample, StyleShift, SyntheticKind } from './types.js';
export { generateSynthetic, generateSamples, syntheticInfo } from './synthetic.js';
export type { SyntheticOptions } from './synthetic.js';
export { LESION_CLASSES } from './lesion.js';
export { BLASTOCYST_CLASSES } from './blastocyst.js';
export { siteStyle, applyStyle, identityStyle, isIdentityStyle, validateStyle } from './style.js';
export { checkFolder, loadFolder, POOL_SITE } from './folder.js';
export type { FolderCheck, FolderDataset, FolderOptions } from './folder.js';
export { DataError } from './errors.js';
export { partition, trainTestSplit, distinctSites } from './partition.js';
export type { PartitionOptions, PartitionScheme } from './partition.js';
export { makeBatch, batchIterator } from './batch.js';
export { buildClientData } from './clientData.js';
export type { ClientData, ClientDataOptions } from './clientData.js';
export { writePng, encodeSamplePng, encodePredictionPng } from './png.js';
