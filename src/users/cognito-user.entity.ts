import { typeorm } from './typeorm-runtime.js';

/**
 * The default user entity, for apps without a user model of their own: table `cognito_users`.
 * Register it with TypeORM (`entities: [CognitoUser]`) to use it.
 *
 * The class is plain and the TypeORM decorators are applied programmatically when typeorm is
 * installed, so importing the library never needs typeorm. Column types are explicit because no
 * design-time type metadata exists for programmatically decorated properties.
 */
export class CognitoUser {
  /** Auto-increment primary key. */
  declare id: number;
  /** The Cognito `sub`: unique, the default lookup field. */
  declare sub: string;
  /** Email address (320 characters: RFC 5321's 64 + 1 + 255). */
  declare email: string | null;
  /** Cognito username (`cognito:username`), when mapped. */
  declare username: string | null;
  declare createdAt: Date;
  declare updatedAt: Date;
}

if (typeorm) {
  const { Entity, PrimaryGeneratedColumn, Column, CreateDateColumn, UpdateDateColumn } = typeorm;
  const proto = CognitoUser.prototype;
  PrimaryGeneratedColumn('increment', { type: 'int' })(proto, 'id');
  Column({ type: 'varchar', length: 255, unique: true, nullable: false })(proto, 'sub');
  Column({ type: 'varchar', length: 320, nullable: true })(proto, 'email');
  Column({ type: 'varchar', length: 255, nullable: true })(proto, 'username');
  CreateDateColumn({ name: 'created_at' })(proto, 'createdAt');
  UpdateDateColumn({ name: 'updated_at' })(proto, 'updatedAt');
  Entity('cognito_users')(CognitoUser);
}
