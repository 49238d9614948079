/**
 * Outside the Functions host @azure/functions prints a "test mode" warning for every function
 * registered. That is expected in tests (functions/index.ts is the list they read); keep the
 * output for what matters.
 */
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].includes('"@azure/functions" package')) return;
  warn(...args);
};
