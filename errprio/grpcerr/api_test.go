package grpcerr

import (
	"testing"

	"github.com/ecopatterns/ecopatterns/internal/apisurface"
	"github.com/ecopatterns/ecopatterns/internal/readme"
)

// TestAPI fails when this module's exported API differs from api.txt.
func TestAPI(t *testing.T) {
	apisurface.Check(t, ".", "api.txt", *update, "go test -run '^TestAPI$' -update .")
}

// TestREADME compiles README.md's quick start, runs it and checks what it
// prints.
func TestREADME(t *testing.T) {
	readme.Check(t, "README.md", ".")
}
