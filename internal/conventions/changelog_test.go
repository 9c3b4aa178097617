package conventions

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestChangelogAndVersioning checks CHANGELOG.md against the form of Keep a
// Changelog, and that the README's Versioning section gives the tag prefix
// of every module that is released.
func TestChangelogAndVersioning(t *testing.T) {
	root := findModuleRoot(t)
	changelog, err := os.ReadFile(filepath.Join(root, "CHANGELOG.md"))
	require.NoError(t, err)
	for _, p := range checkChangelog(string(changelog)) {
		t.Errorf("CHANGELOG.md: %s", p)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	modules, err := releasedModules(root)
	require.NoError(t, err)
	require.NotEmpty(t, modules, "the nested modules")
	for _, p := range checkVersioning(string(readme), modules) {
		t.Errorf("README.md: %s", p)
	}
}

// changeKinds are the section headings Keep a Changelog allows in a release,
// in its order.
var changeKinds = []string{"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}

// releaseHeading matches a release's heading: "[Unreleased]", or a version
// (with a nested module's tag prefix, if any) and its date.
var releaseHeading = regexp.MustCompile(`^## \[(Unreleased|([a-z0-9/]+/)?v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?)\]( - \d{4}-\d{2}-\d{2})?$`)

// checkChangelog returns every way the changelog departs from the form: the
// title, [Unreleased] first, release headings with dates, change kinds from
// Keep a Changelog's list, each once per release, each holding a list.
func checkChangelog(text string) []string {
	var problems []string
	lines := strings.Split(text, "\n")
	if len(lines) == 0 || lines[0] != "# Changelog" {
		problems = append(problems, `the first line must be "# Changelog"`)
	}
	release, kind := "", ""
	seen := map[string]bool{}
	items := 0
	endKind := func() {
		if kind != "" && items == 0 {
			problems = append(problems, fmt.Sprintf("%s, %s: no entries", release, kind))
		}
	}
	for i, line := range lines {
		n := i + 1
		switch {
		case strings.HasPrefix(line, "## "):
			endKind()
			m := releaseHeading.FindStringSubmatch(line)
			switch {
			case m == nil:
				problems = append(problems, fmt.Sprintf("line %d: %q is not a release heading (## [Unreleased] or ## [vX.Y.Z] - YYYY-MM-DD)", n, line))
			case release == "" && m[1] != "Unreleased":
				problems = append(problems, fmt.Sprintf("line %d: the first release heading must be ## [Unreleased]", n))
			case m[1] != "Unreleased" && m[4] == "":
				problems = append(problems, fmt.Sprintf("line %d: release %s has no date", n, m[1]))
			}
			release, kind, items = strings.TrimPrefix(line, "## "), "", 0
			clear(seen)
		case strings.HasPrefix(line, "### "):
			endKind()
			kind, items = strings.TrimPrefix(line, "### "), 0
			switch {
			case release == "":
				problems = append(problems, fmt.Sprintf("line %d: %q comes before any release heading", n, line))
			case !slices.Contains(changeKinds, kind):
				problems = append(problems, fmt.Sprintf("line %d: %q is not one of Keep a Changelog's kinds %v", n, kind, changeKinds))
			case seen[kind]:
				problems = append(problems, fmt.Sprintf("line %d: %s has a second %q section; add to the first", n, release, kind))
			}
			seen[kind] = true
		case kind != "" && strings.HasPrefix(line, "- "):
			items++
		}
	}
	endKind()
	if release == "" {
		problems = append(problems, "no ## [Unreleased] section")
	}
	return problems
}

// releasedModules returns the directories, relative to root and
// slash-separated, of the nested modules that are released: every go.mod
// below root except under examples/ and benchmarks/, which nothing imports.
func releasedModules(root string) ([]string, error) {
	var modules []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && skipDir(d.Name()) {
			return fs.SkipDir
		}
		if d.IsDir() || d.Name() != "go.mod" {
			return nil
		}
		rel := relDir(root, filepath.Dir(p))
		if rel == "." || rel == "examples" || strings.HasPrefix(rel, "examples/") || rel == "benchmarks" || strings.HasPrefix(rel, "benchmarks/") {
			return nil
		}
		modules = append(modules, rel)
		return nil
	})
	slices.Sort(modules)
	return modules, err
}

// checkVersioning returns a problem for every released nested module whose
// tag prefix the README's Versioning section does not give.
func checkVersioning(readme string, modules []string) []string {
	_, section, ok := strings.Cut(readme, "\n## Versioning\n")
	if !ok {
		return []string{`no "## Versioning" section`}
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var problems []string
	for _, m := range modules {
		if !strings.Contains(section, "`"+m+"/vX.Y.Z`") {
			problems = append(problems, fmt.Sprintf("the Versioning section does not give the tags of module %s: `%s/vX.Y.Z`", m, m))
		}
	}
	return problems
}

func TestCheckChangelog(t *testing.T) {
	good := `# Changelog

Intro.

## [Unreleased]

### Added

- a
  continued.

### Fixed

- b

## [telemetry/otelbridge/v0.2.0] - 2026-12-01

### Changed

- c

## [v0.1.0] - 2026-11-30

### Added

- d
`
	require.Empty(t, checkChangelog(good))

	bad := `# Changes

## [v0.2.0] - 2026-12-01

### Added

- a

### Added

- b

### Improved

- c

### Fixed

## [0.1.0]

### Security

- d

## Older
`
	require.Equal(t, []string{
		`the first line must be "# Changelog"`,
		`line 3: the first release heading must be ## [Unreleased]`,
		`line 9: [v0.2.0] - 2026-12-01 has a second "Added" section; add to the first`,
		`line 13: "Improved" is not one of Keep a Changelog's kinds [Added Changed Deprecated Removed Fixed Security]`,
		`[v0.2.0] - 2026-12-01, Fixed: no entries`,
		`line 19: release 0.1.0 has no date`,
		`line 25: "## Older" is not a release heading (## [Unreleased] or ## [vX.Y.Z] - YYYY-MM-DD)`,
	}, checkChangelog(bad))
}

func TestCheckVersioning(t *testing.T) {
	readme := "# x\n\n## Versioning\n\nTags: `vX.Y.Z`, `a/b/vX.Y.Z`.\n\n## License\n\n`c/vX.Y.Z`\n"
	require.Empty(t, checkVersioning(readme, []string{"a/b"}))
	require.Equal(t, []string{"the Versioning section does not give the tags of module c: `c/vX.Y.Z`"},
		checkVersioning(readme, []string{"a/b", "c"}))
	require.Equal(t, []string{`no "## Versioning" section`}, checkVersioning("# x\n", nil))

	root := t.TempDir()
	for _, dir := range []string{"", "a/b", "examples/otel", "benchmarks", "a/testdata/m", "c"} {
		require.NoError(t, os.MkdirAll(filepath.Join(root, dir), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, dir, "go.mod"), []byte("module x\n"), 0o644))
	}
	modules, err := releasedModules(root)
	require.NoError(t, err)
	require.Equal(t, []string{"a/b", "c"}, modules)
}
