// What is wrong with a postgres:// URL that cannot be used, said without its
// password: a port that is not a number, or a password holding a character that
// ends the URL's user part early (#, /, ?) and must be percent-encoded. Pure.

/** The parts of a URL as a person wrote it. The user part ends at the last "@": a host never holds one. */
export interface WrittenUrl {
  /** Everything up to and including `://`. */
  scheme: string;
  /** User name and password as written (not decoded), or null without an "@". */
  user: string | null;
  password: string | null;
  /** Host and port as written, up to the first "/", "?" or "#" after the user part. */
  hostPort: string;
}

/** Splits `url` the way its author meant it (not the way a URL parser reads it); null without `://`. */
export function splitWrittenUrl(url: string): WrittenUrl | null {
  const schemeEnd = url.indexOf('://');
  if (schemeEnd < 0) return null;
  const after = url.slice(schemeEnd + 3);
  const at = after.lastIndexOf('@');
  const userinfo = at < 0 ? null : after.slice(0, at);
  const rest = at < 0 ? after : after.slice(at + 1);
  let hostEnd = rest.length;
  for (const stop of ['/', '?', '#']) {
    const i = rest.indexOf(stop);
    if (i >= 0 && i < hostEnd) hostEnd = i;
  }
  const colon = userinfo === null ? -1 : userinfo.indexOf(':');
  return {
    scheme: url.slice(0, schemeEnd + 3),
    user: userinfo === null ? null : colon < 0 ? userinfo : userinfo.slice(0, colon),
    password: userinfo === null || colon < 0 ? null : userinfo.slice(colon + 1),
    hostPort: rest.slice(0, hostEnd),
  };
}

/** Characters that end a URL's user part early: they must be percent-encoded in a user name or password. */
const ENDS_USER_PART = ['/', '?', '#'];

export const PERCENT_ENCODING_HINT =
  'Percent-encode the password (and user name) in the URL: write @ as %40, # as %23, / as %2F, ? as %3F, : as %3A and % as %25 ' +
  "(node -p 'encodeURIComponent(process.argv[1])' '<password>' prints it encoded).";

/**
 * Why `url` (a postgres:// URL) cannot be used, or null when it can. Never quotes the
 * password, nor any part of the URL that could hold it.
 */
export function databaseUrlProblem(url: string): { problem: string; hint: string } | null {
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    parsed = null;
  }
  // A password with "/" or "#" can still parse, as a host and a path or fragment: `u:12/secret@host`
  // is host "u", port 12. Neither a database name nor anything after "#" holds an "@" otherwise.
  const misread = parsed !== null && (parsed.pathname.includes('@') || parsed.hash.includes('@'));
  if (parsed !== null && !misread) return null;

  const written = splitWrittenUrl(url);
  if (written && [written.user ?? '', written.password ?? ''].some((part) => ENDS_USER_PART.some((c) => part.includes(c)))) {
    return { problem: 'its password (or user name) holds a character that must be percent-encoded, so the URL cannot be read as written', hint: PERCENT_ENCODING_HINT };
  }
  if (written) {
    const host = written.hostPort;
    const colon = host.startsWith('[') ? host.indexOf(':', host.indexOf(']')) : host.lastIndexOf(':');
    const port = colon < 0 ? '' : host.slice(colon + 1);
    const hint = 'Write it as postgresql://user:password@host:5432/database (one host; the port is a number).';
    // Without an "@" the text after the colon may be a password written without its host: not quoted.
    const quoted = written.user !== null ? ` ${/^\d+$/.test(port) ? port : `"${port}"`}` : '';
    if (port !== '' && !/^\d+$/.test(port)) return { problem: `the port${quoted} is not a number${written.user === null ? ' (is the "@" before the host missing?)' : ''}`, hint };
    if (port !== '' && (Number(port) > 65535 || Number(port) === 0)) return { problem: `the port${quoted} is out of range (1 to 65535)`, hint };
  }
  return { problem: 'it is not a valid URL', hint: `Write it as postgresql://user:password@host:5432/database. ${PERCENT_ENCODING_HINT}` };
}
