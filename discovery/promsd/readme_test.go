package promsd_test

import (
	"testing"

	"github.com/ecopatterns/ecopatterns/internal/readme"
)

// TestREADME compiles README.md's quick start, runs it and checks what it
// prints.
func TestREADME(t *testing.T) {
	readme.Check(t, "README.md", ".")
}
