// Placeholder until the controller mode lands; replaced by its issue.
export async function main(): Promise<void> {
  throw new Error('the controller mode is not built yet');
}
