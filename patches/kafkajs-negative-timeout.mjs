// Run by `npm install` / `npm ci` (the postinstall script of package.json), also in the image's
// build stage. kafkajs 2.2.4's RequestQueue.scheduleCheckPendingRequests passes
// `throttledUntil - Date.now()` to setTimeout when nothing is pending; throttledUntil starts at
// -1, so that is minus a timestamp. Node clamps it to 1 ms, and since Node 24 also prints
// "TimeoutNegativeWarning: -1795925215164 is a negative number" from every process using kafkajs.
// The patch clamps the duration at 0 first, which Node runs as 1 ms: the same behaviour, without
// the warning. Plain JavaScript, no dependencies: it runs before anything else is built.
// bench/README.md ("kafkajs and Node 24") says why a patch rather than a documented warning.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const FILE = join('node_modules', 'kafkajs', 'src', 'network', 'requestQueue', 'index.js');
const ORIGINAL = '      }, scheduleAt)\n';
const PATCHED = '      }, Math.max(0, scheduleAt)) // patched by patches/kafkajs-negative-timeout.mjs\n';

/** The patched source; unchanged when already patched; throws when the line is not there. */
export function patchSource(source) {
  if (source.includes(PATCHED)) return source;
  const at = source.indexOf(ORIGINAL);
  if (at < 0 || source.indexOf(ORIGINAL, at + 1) >= 0) {
    throw new Error(
      `${FILE} does not have the one line this patch expects (kafkajs was upgraded?): ` +
        'check whether the negative timeout is fixed upstream, then update or drop patches/kafkajs-negative-timeout.mjs',
    );
  }
  return source.slice(0, at) + PATCHED + source.slice(at + ORIGINAL.length);
}

export function patchInstalled(root = process.cwd()) {
  const path = join(root, FILE);
  const before = readFileSync(path, 'utf8');
  const after = patchSource(before);
  if (after !== before) writeFileSync(path, after);
  return after !== before;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    if (patchInstalled()) process.stdout.write(`patched ${FILE} (negative setTimeout duration)\n`);
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
