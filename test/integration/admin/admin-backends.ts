/**
 * The two Cognito stand-ins the admin specs run against, behind one shape: the test identity
 * provider (every admin operation, paging, MFA users) and cognito-local (its admin operations;
 * `ListUsers` answers every user in one page and `AdminUserGlobalSignOut` is missing). Users are
 * set up through each one's real Cognito API with the SDK, as an operator would.
 */
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  AdminUpdateUserAttributesCommand,
  type AttributeType,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  InitiateAuthCommand,
  type InitiateAuthCommandOutput,
} from '@aws-sdk/client-cognito-identity-provider';
import type { CognitoAuthForRootOptions } from '../../../src/index.js';
import { TestIdentityProvider } from '../../../src/testing/index.js';
import { type CognitoLocal, provisionCognitoLocal, startCognitoLocal } from '../../support/cognito-local.js';

/** A user to set up. */
export interface BackendUser {
  readonly username: string;
  readonly password: string;
  readonly email?: string;
  /** Default true when there is an e-mail. */
  readonly emailVerified?: boolean;
  /** Further attributes by full name (`custom:team`, `given_name`). */
  readonly attributes?: Readonly<Record<string, string>>;
  readonly groups?: readonly string[];
}

/** One Cognito stand-in. */
export interface AdminBackend {
  readonly name: 'test identity provider' | 'cognito-local';
  /** The module options pointing at it. */
  readonly auth: CognitoAuthForRootOptions;
  /** Whether `ListUsers` honours `Limit` and `PaginationToken`. */
  readonly pages: boolean;
  /** Whether `AdminUserGlobalSignOut` exists. */
  readonly globalSignOut: boolean;
  /** A client for setting things up (any credentials: neither checks signatures). */
  readonly sdk: CognitoIdentityProviderClient;
  readonly userPoolId: string;
  addUser(user: BackendUser): Promise<void>;
  createGroup(name: string): Promise<void>;
  updateAttributes(username: string, attributes: Readonly<Record<string, string>>): Promise<void>;
  /** `InitiateAuth` with `USER_PASSWORD_AUTH` as the app's client. */
  login(username: string, password: string): Promise<InitiateAuthCommandOutput>;
  close(): Promise<void>;
}

function sdkClient(endpoint: string): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'setup', secretAccessKey: 'setup' },
    maxAttempts: 1,
  });
}

function attributeList(user: BackendUser): AttributeType[] {
  const list: AttributeType[] = [];
  if (user.email) list.push({ Name: 'email', Value: user.email }, { Name: 'email_verified', Value: String(user.emailVerified ?? true) });
  for (const [Name, Value] of Object.entries(user.attributes ?? {})) list.push({ Name, Value });
  return list;
}

/** Operations both stand-ins implement, through the SDK. */
function common(sdk: CognitoIdentityProviderClient, userPoolId: string, clientId: string) {
  return {
    async addUser(user: BackendUser): Promise<void> {
      const Username = user.username;
      await sdk.send(
        new AdminCreateUserCommand({ UserPoolId: userPoolId, Username, UserAttributes: attributeList(user), MessageAction: 'SUPPRESS' }),
      );
      await sdk.send(new AdminSetUserPasswordCommand({ UserPoolId: userPoolId, Username, Password: user.password, Permanent: true }));
      for (const GroupName of user.groups ?? [])
        await sdk.send(new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username, GroupName }));
    },
    async createGroup(name: string): Promise<void> {
      await sdk.send(new CreateGroupCommand({ UserPoolId: userPoolId, GroupName: name }));
    },
    async updateAttributes(username: string, attributes: Readonly<Record<string, string>>): Promise<void> {
      const UserAttributes = Object.entries(attributes).map(([Name, Value]) => ({ Name, Value }));
      await sdk.send(new AdminUpdateUserAttributesCommand({ UserPoolId: userPoolId, Username: username, UserAttributes }));
    },
    login(username: string, password: string): Promise<InitiateAuthCommandOutput> {
      return sdk.send(
        new InitiateAuthCommand({
          AuthFlow: 'USER_PASSWORD_AUTH',
          ClientId: clientId,
          AuthParameters: { USERNAME: username, PASSWORD: password },
        }),
      );
    },
  };
}

/** The test identity provider, its admin operations reached through its Cognito API. */
export async function testIdpBackend(): Promise<AdminBackend & { readonly idp: TestIdentityProvider }> {
  const idp = await TestIdentityProvider.start();
  const sdk = sdkClient(idp.endpoint);
  return {
    name: 'test identity provider',
    idp,
    auth: idp.moduleOptions(),
    pages: true,
    globalSignOut: true,
    sdk,
    userPoolId: idp.userPoolId,
    ...common(sdk, idp.userPoolId, idp.clientIds[0] ?? ''),
    async close() {
      sdk.destroy();
      await idp.close();
    },
  };
}

/** cognito-local on a free port, with a pool that has the custom attribute `team`. */
export async function cognitoLocalBackend(): Promise<AdminBackend & { readonly cl: CognitoLocal }> {
  const cl = await startCognitoLocal();
  const pool = await provisionCognitoLocal(cl.endpoint, { customAttributes: ['team'] });
  const sdk = sdkClient(cl.endpoint);
  return {
    name: 'cognito-local',
    cl,
    auth: { userPoolId: pool.userPoolId, clientId: pool.clientId, endpoint: cl.endpoint },
    pages: false,
    globalSignOut: false,
    sdk,
    userPoolId: pool.userPoolId,
    ...common(sdk, pool.userPoolId, pool.clientId),
    async close() {
      sdk.destroy();
      await cl.stop();
    },
  };
}
