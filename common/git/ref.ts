/**
 * Git ref-name rules (git check-ref-format), applied before anything reaches git or a queue, so a tag
 * like `v1;rm -rf` or `../x` is refused with a reason instead of being passed on.
 */
const MAX_REF_LENGTH = 200;

export function refNameProblem(ref: string): string | null {
  if (ref.length === 0) return 'is empty';
  if (ref.length > MAX_REF_LENGTH) return `is longer than ${MAX_REF_LENGTH} characters`;
  // Control characters, space and the characters git forbids; also shell metacharacters, which no
  // release tag needs and which would only ever be an attack.
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this looks for
  if (/[\x00-\x20\x7f~^:?*[\\;&|$`'"<>(){}!#]/.test(ref)) return 'contains a character not allowed in a git ref';
  if (ref.startsWith('-')) return 'starts with "-"';
  if (ref.includes('..')) return 'contains ".."';
  if (ref.includes('@{') || ref === '@') return 'contains "@{" or is "@"';
  if (ref.includes('//')) return 'contains "//"';
  if (ref.endsWith('/') || ref.endsWith('.') || ref.endsWith('.lock')) return 'ends with "/", "." or ".lock"';
  if (ref.split('/').some((part) => part.startsWith('.'))) return 'has a component starting with "."';
  return null;
}

export function isValidRefName(ref: string): boolean {
  return refNameProblem(ref) === null;
}
