// Waiting for Kafka's acknowledgement with a deadline, shared by the intake's endpoints.

export class AckTimeout extends Error {}

/** Resolves when `published` does; rejects with AckTimeout after `ms` (the send goes on). */
export async function acknowledgedWithin(
  published: Promise<void>,
  ms: number,
  message: string,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      published,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new AckTimeout(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
