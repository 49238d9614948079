import { SyncServiceError } from '../errors.js';

// Table Storage rejects these in PartitionKey and RowKey: / \ # ? and control characters.
// eslint-disable-next-line no-control-regex
const FORBIDDEN_KEY_CHARACTERS = /[/\\#?\u0000-\u001f\u007f-\u009f]/;
const MAX_KEY_BYTES = 1024;

export function assertValidKey(value: string, what: string): string {
  const forbidden = FORBIDDEN_KEY_CHARACTERS.exec(value);
  if (forbidden !== null) {
    const character = forbidden[0];
    const codePoint = character.charCodeAt(0);
    const shown =
      codePoint < 0x20 || (codePoint >= 0x7f && codePoint <= 0x9f)
        ? `control character U+${codePoint.toString(16).padStart(4, '0').toUpperCase()}`
        : `"${character}"`;
    throw new SyncServiceError(
      'store_invalid_key',
      `${what} "${value}" contains ${shown}, which Table Storage does not allow in keys (/ \\ # ? and control characters)`,
    );
  }
  if (value.length === 0 || Buffer.byteLength(value, 'utf8') > MAX_KEY_BYTES) {
    throw new SyncServiceError(
      'store_invalid_key',
      `${what} must be between 1 and ${MAX_KEY_BYTES} bytes long`,
    );
  }
  return value;
}
