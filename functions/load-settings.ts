/**
 * Imported first by the entry point (functions/app.ts): modules are evaluated in the order they
 * are imported, so the settings are read, and a bad one stops start-up with its message,
 * before any function module registers.
 */
import { getServices } from '../shared/services.js';

getServices();
