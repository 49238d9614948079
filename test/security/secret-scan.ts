/**
 * Searches captured output for secrets: each whole, in every 20-character window (a secret
 * cut short or quoted in part is still a leak), and in the encodings a leak takes on the way
 * (base64, base64url, percent-encoding, JSON escaping).
 */
export interface Secret {
  readonly name: string;
  readonly value: string;
}

export interface Finding {
  readonly secret: string;
  readonly source: string;
  readonly excerpt: string;
}

const WINDOW = 20;

/** base64 of the value at each of the three byte alignments it can take inside a longer text. */
function base64Forms(value: string): string[] {
  return [0, 1, 2].flatMap((shift) => {
    const bytes = Buffer.concat([Buffer.alloc(shift), Buffer.from(value)]);
    const trim = (text: string) => text.slice(shift === 0 ? 0 : 4, -4);
    return [trim(bytes.toString('base64')), trim(bytes.toString('base64url'))];
  });
}

function forms(value: string): string[] {
  const encoded = [
    value,
    encodeURIComponent(value),
    JSON.stringify(value).slice(1, -1),
    ...base64Forms(value),
  ];
  return [...new Set(encoded.filter((form) => form.length > 0))];
}

/** Overlapping windows of each form (every 4th start keeps long tokens cheap to search). */
function needles(value: string): string[] {
  const all = new Set<string>();
  for (const form of forms(value)) {
    if (form.length <= WINDOW) {
      all.add(form);
      continue;
    }
    for (let start = 0; start + WINDOW <= form.length; start += 4) {
      all.add(form.slice(start, start + WINDOW));
    }
    all.add(form.slice(-WINDOW));
  }
  return [...all];
}

export function findSecrets(
  secrets: readonly Secret[],
  captured: ReadonlyMap<string, string>,
): Finding[] {
  const findings: Finding[] = [];
  for (const secret of secrets) {
    const searched = needles(secret.value);
    for (const [source, text] of captured) {
      const needle = searched.find((candidate) => text.includes(candidate));
      if (needle === undefined) continue;
      const at = text.indexOf(needle);
      findings.push({
        secret: secret.name,
        source,
        excerpt: text.slice(Math.max(0, at - 40), at + needle.length + 40),
      });
    }
  }
  return findings;
}
