/** @module Retention of Flink state: `_metadata` reading, discovery of checkpoint and savepoint directories, planning. */
export type { CheckpointDir, Discovery, JobDir, ListedObject, Owner, SavepointDir } from './discovery';
export { discover, isDeletable, isUnderHa, KEEP_MARKER, METADATA_FILE, ownedPrefixes } from './discovery';
export type { MetadataReadResult, ReadableMetadata, StateReference, UnreadableMetadata } from './metadata';
export { readMetadata } from './metadata';
export type {
  DeleteReason,
  OwnerSummary,
  PlanInput,
  PlannedDeletion,
  PrunePlan,
  PrunePolicy,
  PruneScope,
  SkippedUnit,
  SkipReason,
} from './plan';
export { isComplete, metadataKeys, planPrune, referencedNames } from './plan';
