import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * The app's own user table, mapped like django-cognito-redux's example. nest-cognito-auth finds the row by
 * `sub` (which must be unique: that is what makes first-login creation race-free), creates it on
 * first sight and keeps the mapped fields up to date, with
 *
 *   COGNITO_USER_FIELD_MAPPING='{"email":"email","first_name":"custom:first_name","last_name":"custom:last_name","sub":"sub"}'
 */
@Entity('users')
export class User {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 64, unique: true })
  sub!: string;

  @Column({ type: 'varchar', length: 254, nullable: true })
  email!: string | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  first_name!: string | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  last_name!: string | null;

  @CreateDateColumn()
  created_at!: Date;

  @UpdateDateColumn()
  updated_at!: Date;
}
