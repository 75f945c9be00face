/**
 * Idempotent provisioning of a Cognito user pool for the sample app, through the real SDK v3
 * (against cognito-local here, but every call is a plain Cognito API call): a pool with the
 * custom attributes `first_name` / `last_name` and e-mail verification (sign-up codes go to the
 * e-mail address), an app client allowing USER_PASSWORD_AUTH and refresh, groups, and users with
 * permanent passwords.
 *
 * With a state file, the ids of a previous run are checked (DescribeUserPool,
 * DescribeUserPoolClient) and reused; whatever is missing is (re)created, and existing users get
 * their attributes, password and groups set again, so a second run converges to the same state.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  AddCustomAttributesCommand,
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  AdminUpdateUserAttributesCommand,
  type AttributeType,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  ListGroupsCommand,
  UpdateUserPoolClientCommand,
  UpdateUserPoolCommand,
  type UserPoolClientType,
} from '@aws-sdk/client-cognito-identity-provider';

export interface DemoUser {
  username: string;
  password: string;
  email: string;
  firstName: string;
  lastName: string;
  groups: string[];
}

/** The demo's two users: one admin, one not. */
export const DEMO_USERS: readonly DemoUser[] = [
  { username: 'admin', password: 'Admin-Passw0rd!', email: 'admin@example.test', firstName: 'Ada', lastName: 'Admin', groups: ['admin'] },
  { username: 'alice', password: 'Alice-Passw0rd!', email: 'alice@example.test', firstName: 'Alice', lastName: 'Liddell', groups: [] },
];

export const CUSTOM_ATTRIBUTES = ['first_name', 'last_name'] as const;

export interface ProvisionOptions {
  /** Where the ids are kept between runs (JSON). Without it, everything is created afresh. */
  stateFile?: string;
  /** Access and ID token validity, in seconds (Cognito's minimum is 300; cognito-local takes any). */
  tokenValiditySeconds: number;
  users?: readonly DemoUser[];
  groups?: readonly string[];
  poolName?: string;
  clientName?: string;
}

export interface ProvisionResult {
  userPoolId: string;
  clientId: string;
  /** What this run created, for the log. */
  created: string[];
}

interface State {
  userPoolId?: string;
  clientId?: string;
}

/** An SDK client for admin calls (cognito-local accepts any credentials; AWS would need real ones). */
export function adminClient(endpoint: string): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

const isNotFound = (error: unknown) =>
  error instanceof Error && (error.name === 'ResourceNotFoundException' || error.name === 'UserNotFoundException');

async function orUndefined<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

async function readState(file: string | undefined): Promise<State> {
  if (!file) return {};
  try {
    return JSON.parse(await readFile(file, 'utf8')) as State;
  } catch {
    return {};
  }
}

export async function provision(endpoint: string, opts: ProvisionOptions): Promise<ProvisionResult> {
  const users = opts.users ?? DEMO_USERS;
  const groups = [...new Set([...(opts.groups ?? ['admin']), ...users.flatMap((u) => u.groups)])];
  const client = adminClient(endpoint);
  const created: string[] = [];
  try {
    const state = await readState(opts.stateFile);

    // The pool, with the custom attributes.
    let userPoolId: string | undefined;
    if (state.userPoolId) {
      const found = await orUndefined(client.send(new DescribeUserPoolCommand({ UserPoolId: state.userPoolId })));
      if (found?.UserPool) {
        userPoolId = state.userPoolId;
        const have = new Set((found.UserPool.SchemaAttributes ?? []).map((a) => a.Name));
        if (!(found.UserPool.AutoVerifiedAttributes ?? []).includes('email')) {
          // A pool of an older demo: sign-up codes need e-mail verification on.
          await client.send(new UpdateUserPoolCommand({ UserPoolId: userPoolId, AutoVerifiedAttributes: ['email'] }));
        }
        const missing = CUSTOM_ATTRIBUTES.filter((name) => !have.has(`custom:${name}`));
        if (missing.length > 0) {
          await client.send(
            new AddCustomAttributesCommand({
              UserPoolId: userPoolId,
              CustomAttributes: missing.map((Name) => ({ Name, AttributeDataType: 'String', Mutable: true })),
            }),
          );
        }
      }
    }
    if (!userPoolId) {
      const pool = await client.send(
        new CreateUserPoolCommand({
          PoolName: opts.poolName ?? 'nest-cognito-auth-demo',
          // Sign-up sends a code to the e-mail address (cognito-local writes it to its log).
          AutoVerifiedAttributes: ['email'],
          Schema: CUSTOM_ATTRIBUTES.map((Name) => ({ Name, AttributeDataType: 'String', Mutable: true })),
        }),
      );
      userPoolId = pool.UserPool!.Id!;
      state.clientId = undefined;
      created.push(`user pool ${userPoolId}`);
    }

    // The app client: password login and refresh, revocable refresh tokens, short-lived access and ID tokens.
    const clientSettings = {
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      EnableTokenRevocation: true,
      AccessTokenValidity: opts.tokenValiditySeconds,
      IdTokenValidity: opts.tokenValiditySeconds,
      RefreshTokenValidity: 30,
      TokenValidityUnits: { AccessToken: 'seconds', IdToken: 'seconds', RefreshToken: 'days' },
    } satisfies Partial<UserPoolClientType>;
    let clientId: string | undefined;
    if (state.clientId) {
      const found = await orUndefined(client.send(new DescribeUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: state.clientId })));
      if (found?.UserPoolClient) {
        clientId = state.clientId;
        await client.send(new UpdateUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: clientId, ...clientSettings }));
      }
    }
    if (!clientId) {
      const appClient = await client.send(
        new CreateUserPoolClientCommand({
          UserPoolId: userPoolId,
          ClientName: opts.clientName ?? 'sample-app',
          GenerateSecret: false,
          ...clientSettings,
        }),
      );
      clientId = appClient.UserPoolClient!.ClientId!;
      created.push(`app client ${clientId}`);
    }

    // Groups: created only when missing (cognito-local's CreateGroup would overwrite the members).
    // ListGroups rather than GetGroup: cognito-local's GetGroup fails in a pool that has no group yet.
    const existing = new Set<string>();
    let nextToken: string | undefined;
    do {
      const page = await client.send(new ListGroupsCommand({ UserPoolId: userPoolId, NextToken: nextToken }));
      for (const g of page.Groups ?? []) if (g.GroupName) existing.add(g.GroupName);
      nextToken = page.NextToken;
    } while (nextToken);
    for (const group of groups) {
      if (!existing.has(group)) {
        await client.send(new CreateGroupCommand({ UserPoolId: userPoolId, GroupName: group }));
        created.push(`group ${group}`);
      }
    }

    // Users: created when missing; attributes, password and groups set on every run.
    for (const user of users) {
      const attributes: AttributeType[] = [
        { Name: 'email', Value: user.email },
        { Name: 'email_verified', Value: 'true' },
        { Name: 'custom:first_name', Value: user.firstName },
        { Name: 'custom:last_name', Value: user.lastName },
      ];
      const found = await orUndefined(client.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: user.username })));
      if (found) {
        await client.send(
          new AdminUpdateUserAttributesCommand({ UserPoolId: userPoolId, Username: user.username, UserAttributes: attributes }),
        );
      } else {
        await client.send(
          new AdminCreateUserCommand({
            UserPoolId: userPoolId,
            Username: user.username,
            UserAttributes: attributes,
            MessageAction: 'SUPPRESS',
          }),
        );
        created.push(`user ${user.username}`);
      }
      await client.send(
        new AdminSetUserPasswordCommand({ UserPoolId: userPoolId, Username: user.username, Password: user.password, Permanent: true }),
      );
      for (const group of user.groups) {
        await client.send(new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: user.username, GroupName: group }));
      }
    }

    if (opts.stateFile) {
      await mkdir(path.dirname(opts.stateFile), { recursive: true });
      await writeFile(opts.stateFile, `${JSON.stringify({ userPoolId, clientId }, null, 2)}\n`);
    }
    return { userPoolId, clientId, created };
  } finally {
    client.destroy();
  }
}
