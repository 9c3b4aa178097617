package riverengine

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// Migrate brings the database behind pool to River's current schema with
// River's own migrations (rivermigrate), in the schema that the
// connections' search_path selects. It is idempotent, and safe to run from
// every node at startup: concurrent calls on the same schema take turns,
// under a PostgreSQL advisory lock that one connection of pool holds for
// the whole migration (so pool must allow at least two connections), and
// the calls after the first find nothing left to do. It returns when ctx
// ends, also while it waits for another node's migration. It returns
// ErrUnreachable (wrapped, with the cause) when the database cannot be
// used.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	if pool == nil {
		return errors.New("riverengine: Migrate: pool is nil")
	}
	if n := pool.Config().MaxConns; n < 2 {
		return fmt.Errorf("riverengine: Migrate: the pool allows %d connection(s); it needs at least 2: one holds the migration lock while River migrates on another", n)
	}
	if err := ping(ctx, pool); err != nil {
		return err
	}
	m, err := migrator(pool)
	if err != nil {
		return err
	}
	unlock, err := lockMigration(ctx, pool)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("riverengine: Migrate: %w", err)
	}
	return nil
}

// migrationLockPrefix namespaces the advisory lock of Migrate, whose key is
// derived from it and the schema's name.
const migrationLockPrefix = "riverengine: migrate "

// lockMigration takes the session-level advisory lock that serializes
// Migrate on the connections' current schema, on a connection of pool that
// it keeps until unlock is called. Closing that connection is what releases
// the lock, so it is released even when the unlock statement could not run,
// and a lock half-taken when ctx ended never outlives the call.
func lockMigration(ctx context.Context, pool *pgxpool.Pool) (unlock func(), err error) {
	pc, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("riverengine: Migrate: acquiring a connection for the migration lock: %w", err)
	}
	// The connection is never given back to the pool: a session-level lock
	// would travel with it. Closing it ends the session and its locks.
	conn := pc.Hijack()
	release := func() {
		// The close must happen even when ctx has ended; it sends one
		// message and closes the socket, so it is quick.
		_ = conn.Close(context.WithoutCancel(ctx))
	}
	var schema string
	if err := conn.QueryRow(ctx, `SELECT coalesce(current_schema(), '')`).Scan(&schema); err != nil {
		release()
		return nil, fmt.Errorf("riverengine: Migrate: reading the current schema: %w", err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLockKey(schema)); err != nil {
		release()
		return nil, fmt.Errorf("riverengine: Migrate: waiting for the migration lock of schema %q: %w", schema, err)
	}
	return release, nil
}

// migrationLockKey is the advisory lock key of Migrate on schema.
func migrationLockKey(schema string) int64 {
	sum := sha256.Sum256([]byte(migrationLockPrefix + schema))
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

func migrator(pool *pgxpool.Pool) (*rivermigrate.Migrator[pgx.Tx], error) {
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, fmt.Errorf("riverengine: River's migrator: %w", err)
	}
	return m, nil
}

// ping returns ErrUnreachable, wrapping the cause, when pool cannot run a
// query.
func ping(ctx context.Context, pool *pgxpool.Pool) error {
	if err := pool.Ping(ctx); err != nil {
		cfg := pool.Config().ConnConfig
		return fmt.Errorf("%w: %s@%s:%d/%s: %w (check the address, the credentials and that the database exists)",
			ErrUnreachable, cfg.User, cfg.Host, cfg.Port, cfg.Database, err)
	}
	return nil
}

// checkMigrated returns ErrUnreachable or ErrNotMigrated, wrapped, unless
// the database is at River's latest migration.
func checkMigrated(ctx context.Context, pool *pgxpool.Pool) error {
	if err := ping(ctx, pool); err != nil {
		return err
	}
	m, err := migrator(pool)
	if err != nil {
		return err
	}
	all := m.AllVersions()
	want := all[len(all)-1].Version
	have, err := m.ExistingVersions(ctx)
	if err != nil {
		return fmt.Errorf("%w: reading River's migrations: %w", ErrNotMigrated, err)
	}
	got := 0
	if len(have) > 0 {
		got = have[len(have)-1].Version
	}
	if got < want {
		return fmt.Errorf("%w (found version %d, need %d)", ErrNotMigrated, got, want)
	}
	return nil
}
