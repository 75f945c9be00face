import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../users/user.entity.js';

/** A note, owned by a user of the app's own table. */
@Entity('notes')
export class Note {
  static readonly MAX_LENGTH = 500;

  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: Note.MAX_LENGTH })
  text!: string;

  /** The owner's `users.id`. */
  @Index()
  @Column({ name: 'owner_id', type: 'integer' })
  ownerId!: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'owner_id' })
  owner?: User;

  @CreateDateColumn()
  created_at!: Date;
}
