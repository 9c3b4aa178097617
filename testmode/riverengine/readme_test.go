package riverengine

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/ecopatterns/ecopatterns/internal/readme"
)

// TestREADME compiles README.md's quick start and runs it against the test
// database, in a schema of its own, as DATABASE_URL.
func TestREADME(t *testing.T) {
	pool := newPool(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var schema string
	if err := pool.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatalf("reading the test schema: %v", err)
	}
	u, err := url.Parse(databaseURL(t))
	if err != nil {
		t.Fatalf("%s: %v", envURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	t.Setenv("DATABASE_URL", u.String())
	readme.Check(t, "README.md", ".")
}
