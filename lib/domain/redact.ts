// One place that keeps secrets out of what is logged or sent: credentials in URLs, token query parameters, secret-named fields.

/** Query parameters whose value is a credential (compared case-insensitively). */
const SECRET_QUERY_PARAMETERS =
  /^(token|access_token|id_token|api[-_]?key|key|secret|password|passwd|sig|signature|x-amz-signature|x-amz-security-token|auth|authorization|code)$/i;
/** Object fields whose value is a credential, wherever they appear. */
const SECRET_FIELDS =
  /(token|password|passwd|secret(?!Name|Arn|Id)|apikey|api_key|authorization|credential|sshPublicKey)$/i;
export const REDACTED = '***';

/** A URL with its user:password and credential query parameters replaced; anything unparseable is returned as is. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (parsed.username) parsed.username = REDACTED;
  if (parsed.password) parsed.password = REDACTED;
  for (const name of [...parsed.searchParams.keys()])
    if (SECRET_QUERY_PARAMETERS.test(name)) parsed.searchParams.set(name, REDACTED);
  // URL escapes the asterisks it writes back; keep them readable.
  return parsed.toString().replaceAll('%2A%2A%2A', REDACTED);
}

/** Every URL in a text (an error message, a log line), redacted. */
export function redactText(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi, (url) => redactUrl(url));
}

/** A value with URLs redacted in every string and every secret-named field masked, for logs, events and messages. */
export function redactSecrets<T>(value: T): T {
  return redactValue(value, new WeakSet()) as T;
}

function redactValue(value: unknown, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value instanceof Error) {
    const copy = new Error(redactText(value.message));
    copy.name = value.name;
    return copy;
  }
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, seen));
  return Object.fromEntries(
    Object.entries(value).map(([key, field]) => [
      key,
      SECRET_FIELDS.test(key) && typeof field === 'string' ? REDACTED : redactValue(field, seen),
    ]),
  );
}
