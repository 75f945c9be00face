import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** The app's own user table, synced by nest-cognito-auth from the caller's tokens. */
@Entity('compat_esm_nest12_users')
export class CompatUser {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 255, unique: true })
  sub: string;

  @Column({ type: 'varchar', length: 320, nullable: true })
  email: string | null;
}
