/**
 * The entry point the Functions host loads (`main` in package.json). Settings are read before
 * any function is registered, so a bad setting stops start-up with one clear message instead
 * of failing on the first request.
 */
import './load-settings.js';

export { functionDefinitions } from './index.js';
