/** A download failure worth another attempt (network, 5xx): its own module, so the executor needs no HTTP client. */
export class TransientFetchError extends Error {
  override name = 'TransientFetchError';
}
