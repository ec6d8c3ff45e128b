/** As PHP's rawurlencode: everything but letters, digits and `-_.~` is percent-encoded. */
export function encodePathSegment(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
