/**
 * Strict-Transport-Security for every answer. Browsers honour it over https only (the app is
 * https-only in Azure): once seen, they never try plain http for the app again, so no first
 * request can be downgraded.
 */
export const STRICT_TRANSPORT_SECURITY = 'max-age=31536000; includeSubDomains';
