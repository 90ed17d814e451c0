import { describe, expect, it } from 'vitest';
import { alreadyExists } from './run.ts';

const failed = (stderr: string) => ({ code: 1, stdout: '', stderr });

describe('alreadyExists', () => {
  it.each([
    ['a resource Google reports as existing', 'ERROR: (gcloud.pubsub.topics.create) Failed to create topic [projects/p/topics/t]: Resource already exists in the project (resource=t).'],
    ['a gRPC-style conflict', 'ERROR: (gcloud.iam.service-accounts.create) ALREADY_EXISTS: Service account a already exists within project projects/p.'],
    ['our own bucket created a second time', 'ERROR: (gcloud.storage.buckets.create) HTTPError 409: Your previous request to create the named bucket succeeded and you already own it.'],
  ])('when a create fails on %s, then the runner treats it as existing', (_, stderr) => {
    expect(alreadyExists(failed(stderr))).toBe(true);
  });

  it.each([
    ['a bucket name another project holds', 'ERROR: (gcloud.storage.buckets.create) HTTPError 409: The requested bucket name is not available. Please select a different name and try again.'],
    ['a concurrent IAM policy change', 'ERROR: (gcloud.projects.add-iam-policy-binding) ABORTED: There were concurrent policy changes. Resource already exists.'],
    ['a missing permission', 'ERROR: PERMISSION_DENIED: Permission denied on resource (or it may not exist); resource already exists check skipped.'],
    ['any other failure', 'ERROR: (gcloud.functions.deploy) INVALID_ARGUMENT: could not parse memory'],
  ])('when a create fails on %s, then it is a failure', (_, stderr) => {
    expect(alreadyExists(failed(stderr))).toBe(false);
  });

  it('when the command succeeded, then nothing already existed', () => {
    expect(alreadyExists({ code: 0, stdout: '', stderr: 'already exists' })).toBe(false);
  });
});
