/**
 * The bench app's GraphQL query route, `POST /graphql`: Apollo on the Express app, Mercurius on
 * the Fastify app (code-first schema). Fields that answer `true`: `open` has no guard (the GraphQL
 * baseline), `noop` a guard that returns true (what any guard costs under GraphQL) and `guarded`
 * is behind `CognitoGuard` (the app's CognitoAuthModule, `access` mode), so the guard's ratio
 * compares one GraphQL query with the same query unguarded.
 */
import { type DynamicModule, UseGuards } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule, Query, Resolver } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { CognitoGuard } from '../src/index.js';
import { NoopGuard } from './guards.js';

/** The bodies autocannon posts. */
export const GRAPHQL_QUERIES = {
  open: JSON.stringify({ query: '{ open }' }),
  noop: JSON.stringify({ query: '{ noop }' }),
  guarded: JSON.stringify({ query: '{ guarded }' }),
} as const;

@Resolver()
export class BenchResolver {
  @Query(() => Boolean)
  open(): boolean {
    return true;
  }

  @UseGuards(NoopGuard)
  @Query(() => Boolean)
  noop(): boolean {
    return true;
  }

  @UseGuards(CognitoGuard)
  @Query(() => Boolean)
  guarded(): boolean {
    return true;
  }
}

/** The GraphQL module of the platform's usual driver. */
export function graphqlModule(platform: 'express' | 'fastify'): DynamicModule {
  if (platform === 'fastify') return GraphQLModule.forRoot<MercuriusDriverConfig>({ driver: MercuriusDriver, autoSchemaFile: true });
  return GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, autoSchemaFile: true });
}
