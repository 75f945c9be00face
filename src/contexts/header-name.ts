/**
 * Header names compare ASCII case-insensitively (RFC 9110 section 5.1): `toLowerCase()` would also
 * map lookalikes (U+212A KELVIN SIGN to `k`) onto a name a filter in front of the service expects.
 */
export function asciiLowerCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}
