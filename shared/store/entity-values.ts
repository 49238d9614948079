/**
 * Reading a stored entity's properties. A row may hold what this code never wrote (an operator's
 * edit in Storage Explorer, a row from an older version), so each reader answers "absent" rather
 * than throw.
 */
import type { StoredEntity } from './entities.js';

export function textOf(entity: StoredEntity, name: string): string | undefined {
  const value = entity[name];
  return typeof value === 'string' ? value : undefined;
}

/** A text property that holds something: an empty string (a merge's way to clear) is absent. */
export function filledTextOf(entity: StoredEntity, name: string): string | undefined {
  const value = textOf(entity, name);
  return value === '' ? undefined : value;
}

export function numberOf(entity: StoredEntity, name: string): number | undefined {
  const value = entity[name];
  if (typeof value === 'number') return value;
  // Operators editing in Storage Explorer may store numbers as strings; read them as numbers.
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) {
    return Number(value);
  }
  return undefined;
}

/** A JSON property's value; undefined when it is not a string of valid JSON. */
export function parsedJson(value: unknown): unknown {
  if (typeof value !== 'string' || value === '') return undefined;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return undefined;
  }
}

/** A JSON list property's items; none when it holds no list. */
export function jsonList<T>(value: unknown): T[] {
  const parsed = parsedJson(value);
  return Array.isArray(parsed) ? (parsed as T[]) : [];
}

/** A JSON list property's strings. */
export function stringListOf(value: unknown): string[] {
  return jsonList<unknown>(value).filter((item) => typeof item === 'string');
}
