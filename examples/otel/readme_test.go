package main

import (
	"testing"

	"github.com/ecopatterns/ecopatterns/internal/readme"
)

// TestREADME compiles the Go blocks of README.md, if it has any.
func TestREADME(t *testing.T) {
	readme.Check(t, "README.md", ".")
}
