/** Users: creation, lookup, and their API representation. */
import { ConflictError, newId } from '@ferry/core';
import type { User } from '@ferry/api';
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../db/database.ts';
import type { UsersTable } from '../db/tables/index.ts';
import { hashPassword, type ScryptParams } from './password-hash.ts';

/** A user row. */
export type UserRow = Selectable<UsersTable>;

/** Emails are compared case-insensitively: stored and looked up in lower case. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** The API view of a user (never the password hash). */
export function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    instanceAdmin: row.instance_admin,
    createdAt: row.created_at.toISOString(),
  };
}

/** Creates a user; a taken email is a 409 `email_taken`. */
export async function createUser(
  db: Kysely<Database>,
  input: {
    email: string;
    name: string;
    password: string;
    instanceAdmin?: boolean;
    now: Date;
    /** Cost override (tests use a cheap one; verification reads it from the stored hash). */
    scrypt?: ScryptParams;
  },
): Promise<UserRow> {
  const email = normalizeEmail(input.email);
  const passwordHash = await hashPassword(input.password, input.scrypt);
  const row = await db
    .insertInto('users')
    .values({
      id: newId('user', input.now.getTime()),
      email,
      name: input.name,
      password_hash: passwordHash,
      instance_admin: input.instanceAdmin ?? false,
      created_at: input.now,
      updated_at: input.now,
    })
    .onConflict((oc) => oc.column('email').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (row === undefined)
    throw new ConflictError('email_taken', 'A user with this email already exists.');
  return row;
}

/** The user with this email, if any. */
export async function findUserByEmail(
  db: Kysely<Database>,
  email: string,
): Promise<UserRow | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where('email', '=', normalizeEmail(email))
    .executeTakeFirst();
}

/** The user with this id, if any. */
export async function findUserById(db: Kysely<Database>, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}
