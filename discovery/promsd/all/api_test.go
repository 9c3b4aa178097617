package all_test

import (
	"flag"
	"testing"

	"github.com/ecopatterns/ecopatterns/internal/apisurface"
)

var updateAPI = flag.Bool("update", false, "rewrite api.txt from the current code")

// TestAPI fails when this module's exported API differs from api.txt.
func TestAPI(t *testing.T) {
	apisurface.Check(t, ".", "api.txt", *updateAPI, "go test -run '^TestAPI$' -update .")
}
