import { Storage } from '@google-cloud/storage';
import { config } from './config.ts';

let instance: Storage | undefined;

/** The process-wide Cloud Storage client; it talks to the local endpoint when STORAGE_EMULATOR_HOST is set. */
export function storage(): Storage {
  instance ??= new Storage({ projectId: config().GOOGLE_CLOUD_PROJECT });
  return instance;
}
