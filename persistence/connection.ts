/** One mongoose connection per process, with every index the models declare built before use. */
import mongoose from 'mongoose';
import { allModels } from './models.js';

export async function connectMongo(uri: string): Promise<typeof mongoose> {
  // FerretDB v1 has no sessions or retryable writes; MongoDB works either way.
  await mongoose.connect(uri, { retryWrites: false, serverSelectionTimeoutMS: 10_000 });
  await ensureIndexes();
  return mongoose;
}

/** Unique indexes are our serialization points, so they must exist before the first write. */
export async function ensureIndexes(): Promise<void> {
  await Promise.all(allModels.map((model) => model.createIndexes()));
}

export async function disconnectMongo(): Promise<void> {
  await mongoose.disconnect();
}

export async function pingMongo(): Promise<boolean> {
  try {
    await mongoose.connection.db?.admin().command({ ping: 1 });
    return mongoose.connection.readyState === 1;
  } catch {
    return false;
  }
}

/** True for the duplicate-key error that a unique index raises (code 11000 on MongoDB and FerretDB). */
export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}
