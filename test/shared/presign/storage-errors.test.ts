import { describe, expect, it } from 'vitest';
import { API_ERRORS } from '../../../shared/presign/errors';
import { actionableStorageError } from '../../../shared/presign/http/app';
import { StorageError, type StorageErrorCode } from '../../../shared/storage/errors';

const failure = (code: StorageErrorCode) =>
  new StorageError(code, `PutObject failed`, { operation: 'PutObject', key: 'artifacts/namespaces/a/x.jar' });

describe('storage refusals the caller can act on', () => {
  it.each([
    ['OSS_ALREADY_EXISTS', 'ALREADY_EXISTS', 409],
    ['OSS_NOT_FOUND', 'NOT_FOUND', 404],
    ['OSS_OBJECT_ARCHIVED', 'OBJECT_ARCHIVED', 409],
    ['OSS_PRECONDITION_FAILED', 'PRECONDITION_FAILED', 412],
    ['OSS_INVALID_RANGE', 'INVALID_REQUEST', 400],
    ['OSS_INVALID_REQUEST', 'INVALID_REQUEST', 400],
  ] as const)('%s answers %s (%i) naming the object', (storage, api, status) => {
    const mapped = actionableStorageError(failure(storage));
    expect(mapped?.code).toBe(api);
    expect(API_ERRORS[mapped!.code]).toBe(status);
    expect(mapped?.message).toContain('artifacts/namespaces/a/x.jar');
  });

  it.each(['OSS_ACCESS_DENIED', 'OSS_REQUEST_FAILED'] as const)('%s stays an internal error', (storage) => {
    expect(actionableStorageError(failure(storage))).toBeUndefined();
  });
});
