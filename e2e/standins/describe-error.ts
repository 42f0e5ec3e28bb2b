// Errors of the Kubernetes client and of the network, as one loggable line.

/** A loggable one-liner for client and network errors (never the request's headers). */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const body = (err as { body?: unknown }).body;
    const message = typeof body === 'string' && body !== '' ? tryStatusMessage(body) : undefined;
    return [code !== undefined ? `${String(code)}` : undefined, message ?? err.message]
      .filter(Boolean)
      .join(': ');
  }
  return String(err);
}

function tryStatusMessage(body: string): string | undefined {
  try {
    const status = JSON.parse(body) as { message?: unknown };
    return typeof status.message === 'string' ? status.message : undefined;
  } catch {
    return undefined;
  }
}
