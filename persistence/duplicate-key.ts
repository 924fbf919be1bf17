/** The unique-index violation (code 11000 on MongoDB and FerretDB): how a second write of the same key shows. */
export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}

/** For writes where losing the race is fine (the other writer created the same document). */
export function ignoreDuplicateKey(error: unknown): void {
  if (!isDuplicateKeyError(error)) throw error;
}

/** Runs an insert that a unique index may refuse: what it inserted, or undefined when that document exists already. */
export async function insertOnce<T>(insert: () => Promise<T>): Promise<T | undefined> {
  try {
    return await insert();
  } catch (error) {
    ignoreDuplicateKey(error);
    return undefined;
  }
}

/** For an unordered `insertMany` whose documents may exist already: fails only for another error. */
export function ignoreDuplicateKeys(error: unknown): void {
  const writeErrors = (error as { writeErrors?: Array<{ code?: unknown; err?: { code?: unknown } }> } | null)?.writeErrors;
  if (Array.isArray(writeErrors) && writeErrors.length > 0 && writeErrors.every((e) => (e.err?.code ?? e.code) === 11000)) return;
  ignoreDuplicateKey(error);
}
