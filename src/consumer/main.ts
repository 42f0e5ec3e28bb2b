// Placeholder until the consumer mode lands; replaced by its issue.
export async function main(): Promise<void> {
  throw new Error('the consumer mode is not built yet');
}
