package riverengine

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/stretchr/testify/require"
)

// TestMigrateConcurrently runs Migrate from several nodes at once on an
// empty schema, as nodes starting together do: every call succeeds and the
// schema ends at River's latest version.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	pool := newPool(t, true)
	const nodes = 6
	// Connections opened beforehand: the calls start together, rather
	// than one by one as connections come up.
	var conns []*pgxpool.Conn
	for range 2 * nodes {
		c, err := pool.Acquire(t.Context())
		require.NoError(t, err)
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Release()
	}
	errs := make(chan error, nodes)
	var start sync.WaitGroup
	start.Add(1)
	for range nodes {
		go func() {
			start.Wait()
			errs <- Migrate(t.Context(), pool)
		}()
	}
	start.Done()
	for range nodes {
		require.NoError(t, <-errs)
	}
	require.NoError(t, checkMigrated(t.Context(), pool))
}

// TestMigrateWaitsForTheLock holds the migration lock of one schema, as a
// node in the middle of migrating does, and checks that Migrate waits for
// it until its context ends, that the lock of another schema is another
// lock, and that Migrate proceeds once the lock is released.
func TestMigrateWaitsForTheLock(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := newPool(t, true)
	holder, err := pgx.Connect(ctx, databaseURL(t))
	require.NoError(t, err)
	defer holder.Close(context.WithoutCancel(ctx))
	key := migrationLockKey(currentSchema(t, pool))
	_, err = holder.Exec(ctx, `SELECT pg_advisory_lock($1)`, key)
	require.NoError(t, err)

	// The context ends once Migrate is seen waiting for the lock, not
	// after some time: on a busy machine, a deadline could pass while
	// Migrate was still connecting.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	migrated := make(chan error, 1)
	go func() { migrated <- Migrate(wctx, pool) }()
	waitFor(t, time.Minute, "Migrate to wait for the migration lock", func() bool {
		var waiting bool
		require.NoError(t, holder.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks
			WHERE locktype = 'advisory' AND NOT granted AND objsubid = 1
			AND (classid::bigint << 32 | objid::bigint) = $1)`, key).Scan(&waiting))
		return waiting
	})
	cancel()
	err = <-migrated
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorContains(t, err, "riverengine: Migrate: waiting for the migration lock")
	require.ErrorIs(t, checkMigrated(ctx, pool), ErrNotMigrated, "migrated without the lock")

	require.NoError(t, Migrate(ctx, newPool(t, true)), "another schema's migration waited for this one's lock")

	_, err = holder.Exec(ctx, `SELECT pg_advisory_unlock($1)`, migrationLockKey(currentSchema(t, pool)))
	require.NoError(t, err)
	require.NoError(t, Migrate(ctx, pool))
	require.NoError(t, checkMigrated(ctx, pool))
}

// TestMigrateRefusesASingleConnectionPool checks that Migrate says why it
// cannot work with a pool of one connection, rather than waiting forever.
func TestMigrateRefusesASingleConnectionPool(t *testing.T) {
	t.Parallel()
	cfg, err := pgxpool.ParseConfig(databaseURL(t))
	require.NoError(t, err)
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	require.NoError(t, err)
	defer pool.Close()
	require.ErrorContains(t, Migrate(t.Context(), pool), "riverengine: Migrate: the pool allows 1 connection(s); it needs at least 2")
}

// TestNewRefusesAnOlderSchema migrates to the version before River's
// latest, as a database left behind by an older release is, and checks
// that New refuses it, naming both versions.
func TestNewRefusesAnOlderSchema(t *testing.T) {
	t.Parallel()
	pool := newPool(t, true)
	m, err := migrator(pool)
	require.NoError(t, err)
	all := m.AllVersions()
	latest, older := all[len(all)-1].Version, all[len(all)-2].Version
	_, err = m.Migrate(t.Context(), rivermigrate.DirectionUp, &rivermigrate.MigrateOpts{TargetVersion: older})
	require.NoError(t, err)
	_, err = New(t.Context(), pool, testOptions(stepWorkers(t)))
	require.ErrorIs(t, err, ErrNotMigrated)
	require.ErrorContains(t, err, fmt.Sprintf("found version %d, need %d", older, latest))
}

// currentSchema returns the schema that pool's connections work in.
func currentSchema(t testing.TB, pool *pgxpool.Pool) string {
	t.Helper()
	var s string
	require.NoError(t, pool.QueryRow(t.Context(), `SELECT current_schema()`).Scan(&s))
	return s
}
