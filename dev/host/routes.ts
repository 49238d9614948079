/** The Functions host's route templates: literal segments, `{name}`, `{name:constraint}`, `{name?}`. */
import type { HttpFunctionDefinition } from '../../functions/registry.js';

export interface CompiledRoute {
  readonly definition: HttpFunctionDefinition;
  /** The route parameters when the path matches; `undefined` when it does not. */
  readonly match: (path: string) => Record<string, string> | undefined;
}

/** Thrown for a path segment that is not valid percent-encoding (`%E0%A4%A`): a 400, not a crash. */
export class MalformedPathError extends Error {}

function decodeSegment(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch (error) {
    throw new MalformedPathError('the path is not valid percent-encoding', { cause: error });
  }
}

export function compileRoute(definition: HttpFunctionDefinition): CompiledRoute {
  const segments = definition.route.split('/').filter((segment) => segment.length > 0);
  return {
    definition,
    match(path) {
      const parts = path.split('/').filter((part) => part.length > 0);
      const params: Record<string, string> = {};
      for (const [index, segment] of segments.entries()) {
        const part = parts[index];
        const parameter = /^\{([A-Za-z0-9_]+)(?::[^}?]+)?(\?)?\}$/.exec(segment);
        if (parameter === null) {
          if (part?.toLowerCase() !== segment.toLowerCase()) return undefined;
          continue;
        }
        const [, name = '', optional] = parameter;
        if (part === undefined) {
          if (optional === undefined) return undefined;
          continue;
        }
        params[name] = decodeSegment(part);
      }
      return parts.length <= segments.length ? params : undefined;
    },
  };
}
