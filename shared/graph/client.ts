/**
 * The Microsoft Graph client as this service configures it: an `@azure/identity` credential, the
 * real `@microsoft/microsoft-graph-client` with its authentication middleware, and a middleware
 * chain without the SDK's RetryHandler (retries live in `requests.ts`, where one policy covers
 * plain requests and the sub-requests of `$batch`).
 */
import {
  AuthenticationError,
  AuthenticationRequiredError,
  AzureAuthorityHosts,
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  type AccessToken,
  type GetTokenOptions,
  type TokenCredential,
} from '@azure/identity';
import {
  AuthenticationHandler,
  Client,
  TelemetryHandler,
  type Context,
  type Middleware,
} from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js';
import type { Settings } from '../config/settings.js';
import { SyncServiceError } from '../errors.js';

type EntraSettings = Settings['entra'];

const KNOWN_AUTHORITY_HOSTS = new Set<string>(
  Object.values(AzureAuthorityHosts).map((host) => new URL(host).host),
);

/** The credential the settings ask for (client secret, certificate or managed identity). */
export function createGraphCredential(entra: EntraSettings): TokenCredential {
  if (entra.graphAuth === 'managed_identity') {
    return entra.managedIdentityClientId === undefined
      ? new ManagedIdentityCredential()
      : new ManagedIdentityCredential({ clientId: entra.managedIdentityClientId });
  }
  const authorityHost = entra.authorityHost;
  // Instance discovery asks the public cloud's login host about the authority; an authority it
  // does not know (the simulated tenant, a private stand-in) must skip it.
  const authority = {
    authorityHost,
    disableInstanceDiscovery: !KNOWN_AUTHORITY_HOSTS.has(new URL(authorityHost).host),
  };
  if (entra.graphAuth === 'certificate') {
    if (entra.clientCertificatePath === undefined) {
      throw new SyncServiceError(
        'config_invalid',
        'GRAPH_AUTH is certificate but ENTRA_CLIENT_CERTIFICATE_PATH is not set',
      );
    }
    return new ClientCertificateCredential(
      entra.tenantId,
      entra.clientId,
      { certificatePath: entra.clientCertificatePath },
      authority,
    );
  }
  if (entra.clientSecret === undefined) {
    throw new SyncServiceError(
      'config_invalid',
      'GRAPH_AUTH is client_secret but ENTRA_CLIENT_SECRET is not set',
    );
  }
  return new ClientSecretCredential(entra.tenantId, entra.clientId, entra.clientSecret, authority);
}

/**
 * The Graph client wraps whatever the credential throws into a `GraphError` that keeps only the
 * message and the error's name; this wrapper names the failure so the transport can tell "no
 * token" from "no answer" and map it to a coded error.
 */
export class GraphTokenError extends Error {
  /** `GraphTokenRefused` when the token endpoint answered no (bad secret, unknown client, ...). */
  override readonly name: 'GraphTokenRefused' | 'GraphTokenUnavailable';

  constructor(cause: unknown) {
    super(
      `Could not get a token for Microsoft Graph: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    // 4.x reports a rejected client secret as AuthenticationRequiredError (MSAL's invalid_client).
    const refused =
      cause instanceof AuthenticationError || cause instanceof AuthenticationRequiredError;
    this.name = refused ? 'GraphTokenRefused' : 'GraphTokenUnavailable';
  }
}

class TokenFailureNaming implements TokenCredential {
  constructor(private readonly inner: TokenCredential) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    try {
      const token = await this.inner.getToken(scopes, options);
      if (token === null) throw new Error('the credential returned no token');
      return token;
    } catch (error) {
      throw new GraphTokenError(error);
    }
  }
}

/** Counts the HTTP requests that actually leave for Graph (after a token was obtained). */
class RequestCounter implements Middleware {
  count = 0;
  private next: Middleware | undefined;

  async execute(context: Context): Promise<void> {
    this.count += 1;
    if (this.next === undefined) throw new Error('RequestCounter must not end the chain');
    await this.next.execute(context);
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}

/**
 * The end of the chain: hands the request to `fetch`, as the SDK's HTTPMessageHandler does, but
 * with the `fetch` injectable so tests can answer for Graph without a server.
 */
class FetchHandler implements Middleware {
  constructor(private readonly send: typeof fetch | undefined) {}

  async execute(context: Context): Promise<void> {
    // Looked up per request, as HTTPMessageHandler does, when no fetch was injected.
    context.response = await (this.send ?? fetch)(
      // The SDK types it as the DOM's RequestInfo, which a Node build does not know.
      context.request as Parameters<typeof fetch>[0],
      context.options,
    );
  }
}

export interface GraphClientHandle {
  readonly client: Client;
  /** HTTP requests sent to Graph so far (a `$batch` is one). */
  requestCount(): number;
}

export function createGraphClient(
  entra: EntraSettings,
  credential: TokenCredential = createGraphCredential(entra),
  send?: typeof fetch,
): GraphClientHandle {
  const authProvider = new TokenCredentialAuthenticationProvider(
    new TokenFailureNaming(credential),
    { scopes: [`${entra.graphEndpoint}/.default`] },
  );
  const counter = new RequestCounter();
  const client = Client.initWithMiddleware({
    baseUrl: `${entra.graphEndpoint}/`,
    defaultVersion: 'v1.0',
    // The SDK sends the token only to the hosts it knows as Graph; name ours explicitly so a
    // national cloud or the simulated tenant gets it too (and nothing else ever does).
    customHosts: new Set([new URL(entra.graphEndpoint).hostname]),
    middleware: [
      new AuthenticationHandler(authProvider),
      counter,
      new TelemetryHandler(),
      new FetchHandler(send),
    ],
  });
  return { client, requestCount: () => counter.count };
}
