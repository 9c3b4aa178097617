package riverengine

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/testmode"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// envURL names the variable that points the tests at a database.
const envURL = "ECOPATTERNS_TEST_DATABASE_URL"

// howToProvide ends every failure caused by a missing database.
const howToProvide = "these tests need PostgreSQL: set " + envURL + " to a database URL " +
	"(postgres://user:password@host:port/database), or run them through the repository's script, " +
	"which starts a throwaway cluster: ../../.ci/with-postgres go test -race ./... (see README.md)"

// databaseURL returns the test database's URL, failing the test when there
// is none.
func databaseURL(t testing.TB) string {
	t.Helper()
	url := os.Getenv(envURL)
	if url == "" {
		t.Fatalf("%s is not set; %s", envURL, howToProvide)
	}
	return url
}

var schemaSeq atomic.Int64

// newPool returns a pool whose connections work in a schema of their own,
// migrated (unless bare), and dropped when the test ends: every test sees
// an empty database, and tests never see each other's jobs.
func newPool(t testing.TB, bare bool) *pgxpool.Pool {
	t.Helper()
	url := databaseURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	schema := fmt.Sprintf("rivertest_%d_%d", os.Getpid(), schemaSeq.Add(1))
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connecting to %s: %v; %s", envURL, err, howToProvide)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("creating schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
			return
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatalf("%s: %v", envURL, err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	cfg.MaxConns = 20
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("%s: %v", envURL, err)
	}
	t.Cleanup(pool.Close)
	if !bare {
		if err := Migrate(ctx, pool); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
	}
	return pool
}

// testOptions are options with the fast timing tests need.
func testOptions(workers *testmode.Workers, queues ...string) Options {
	opts := DefaultOptions()
	opts.Workers = workers
	opts.Queues = map[string]testmode.QueueOptions{}
	for _, q := range queues {
		opts.Queues[q] = testmode.QueueOptions{Limit: 4}
	}
	if len(queues) == 0 {
		opts.Queues[testmode.DefaultQueue] = testmode.QueueOptions{Limit: 4}
	}
	opts.FetchPollInterval = 50 * time.Millisecond
	opts.FetchCooldown = 10 * time.Millisecond
	opts.ShutdownGrace = 5 * time.Second
	opts.UnworkedCheckInterval = time.Hour
	return opts
}

// newEngine returns an engine that is stopped when the test ends.
func newEngine(t testing.TB, pool *pgxpool.Pool, opts Options) *Engine {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e, err := New(ctx, pool, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := e.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return e
}
