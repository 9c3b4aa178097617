package riverengine

import (
	"context"
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
// every node at startup. It returns ErrUnreachable (wrapped, with the
// cause) when the database cannot be used.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	if pool == nil {
		return errors.New("riverengine: Migrate: pool is nil")
	}
	if err := ping(ctx, pool); err != nil {
		return err
	}
	m, err := migrator(pool)
	if err != nil {
		return err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("riverengine: Migrate: %w", err)
	}
	return nil
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
