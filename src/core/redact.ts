// Passwords never reach the output: connection strings are redacted wherever
// they appear, including inside errors raised by drivers.

import { splitWrittenUrl } from './database-url.js';

const MASK = '***';

/** The URL with its password (userinfo or `password=` parameter) masked. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = MASK;
    for (const key of [...parsed.searchParams.keys()]) {
      if (/pass(word)?|secret|token|sslkey/i.test(key)) parsed.searchParams.set(key, MASK);
    }
    return parsed.toString();
  } catch {
    // Not a WHATWG URL: a password holding "#" or "/" (masked up to the last "@"), or a
    // libpq keyword string (masked where it looks like credentials).
    const written = splitWrittenUrl(url);
    if (written?.user != null && written.password !== null) {
      const kept = written.scheme.length + written.user.length + 1;
      return `${url.slice(0, kept)}${MASK}${url.slice(kept + written.password.length)}`;
    }
    return url.replace(/(\/\/[^:/@\s]*:)[^@\s]*@/g, `$1${MASK}@`).replace(/(password\s*=\s*)\S+/gi, `$1${MASK}`);
  }
}

/** Secrets worth scrubbing from free text, derived from a connection string. */
export function secretsOf(url: string | null | undefined): string[] {
  if (!url) return [];
  const secrets: string[] = [];
  try {
    const parsed = new URL(url);
    const visible = redactUrl(url);
    const passwords = [parsed.password, parsed.searchParams.get('password') ?? ''];
    try {
      passwords.push(decodeURIComponent(parsed.password));
    } catch {
      /* a malformed escape: the raw form is already listed */
    }
    for (const password of passwords.filter(Boolean)) {
      secrets.push(url);
      // A bare password that also appears in the redacted URL ("postgres" as user and
      // password) would mangle every mention of that word; the URL forms still go.
      if (!visible.includes(password)) secrets.push(password);
    }
  } catch {
    // Not a WHATWG URL: if redaction would change it, the whole string is secret, and
    // the password as written.
    const password = splitWrittenUrl(url)?.password;
    if (password) secrets.push(password);
    if (redactUrl(url) !== url) secrets.push(url);
  }
  return [...new Set(secrets.filter((s) => s.length >= 3))].sort((a, b) => b.length - a.length);
}

/** Replaces every occurrence of a secret (the whole URL redacted, bare passwords masked). */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!out.includes(secret)) continue;
    const replacement = secret.includes('://') ? redactUrl(secret) : MASK;
    out = out.split(secret).join(replacement);
  }
  // Any other URL with credentials that slipped in (e.g. from the environment).
  return out.replace(/(postgres(?:ql)?:\/\/[^:/@\s]*:)[^@\s]+@/gi, `$1${MASK}@`);
}
