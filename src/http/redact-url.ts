/**
 * Request URLs go to the access log, and a client may put its key in the query string
 * (`?api_key=…`, `?access_token=…`) even though only the Authorization header is read. Such
 * values are replaced before the URL is logged: any parameter whose name says it holds a
 * credential, and any value shaped like one of our tokens whatever its name.
 */
const CREDENTIAL_NAME = /token|key|secret|passw|auth|sig|session|credential|bearer/i;
const TOKEN_VALUE = /^(Bearer\s+)?mlc_[A-Za-z0-9_-]{16,}$/i;
export const REDACTED_VALUE = '[REDACTED]';

const decode = (text: string) => {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return text;
  }
};

export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return TOKEN_VALUE.test(decode(pair)) ? REDACTED_VALUE : pair;
      const name = pair.slice(0, eq);
      return CREDENTIAL_NAME.test(decode(name)) || TOKEN_VALUE.test(decode(pair.slice(eq + 1))) ? `${name}=${REDACTED_VALUE}` : pair;
    });
  return `${url.slice(0, q + 1)}${query.join('&')}`;
}
