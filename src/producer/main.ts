// Placeholder until the producer mode lands; replaced by its issue.
export async function main(): Promise<void> {
  throw new Error('the producer mode is not built yet');
}
