package file

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/ecopatterns/ecopatterns/discovery"
)

// discoverer reads the files of one Config.
type discoverer struct {
	patterns   []string
	interval   time.Duration
	maxSize    int64
	maxTargets int
	newWatcher func() (watcher, error)
}

var _ discovery.Discoverer = (*discoverer)(nil)

// scan is the state of one run: what each file held when last read well,
// and the groups sent, by Source.
type scan struct {
	files    map[string][]*discovery.Group
	sent     map[string]*discovery.Group
	watched  map[string]bool
	watchErr map[string]string // last reported failure to watch, by directory
}

// Run reads the files at once, then again on every change in their
// directories and every RefreshInterval, until ctx is cancelled.
func (d *discoverer) Run(ctx context.Context, up chan<- []*discovery.Group) {
	var events <-chan fsnotify.Event
	var watchErrs <-chan error
	w, err := d.newWatcher()
	if err != nil {
		discovery.ReportError(ctx, fmt.Errorf("file: cannot watch for changes, rereading every %s only: %w", d.interval, err))
		w = nil
	} else {
		defer w.Close()
		events, watchErrs = w.Events(), w.Errors()
	}
	s := &scan{
		files:    make(map[string][]*discovery.Group),
		sent:     make(map[string]*discovery.Group),
		watched:  make(map[string]bool),
		watchErr: make(map[string]string),
	}
	if !d.refresh(ctx, up, s, w, true) {
		return
	}
	ticker := time.NewTicker(d.interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if ev.Name == "" || ev.Op == fsnotify.Chmod {
				continue
			}
			if s.watched[ev.Name] && ev.Op&(fsnotify.Remove|fsnotify.Rename) != 0 {
				delete(s.watched, ev.Name) // a watched directory went away
			}
			// A write often comes as a burst of events: take them all,
			// then read once.
		burst:
			for {
				select {
				case _, ok := <-events:
					if !ok {
						events = nil
						break burst
					}
				default:
					break burst
				}
			}
			if !d.refresh(ctx, up, s, w, false) {
				return
			}
		case err, ok := <-watchErrs:
			if !ok {
				watchErrs = nil
				continue
			}
			discovery.ReportError(ctx, fmt.Errorf("file: watching: %w", err))
		case <-ticker.C:
			if !d.refresh(ctx, up, s, w, false) {
				return
			}
		}
	}
}

// refresh watches the directories not watched yet, rereads every file and
// sends what changed (everything when first). It reports false if ctx was
// cancelled while sending.
func (d *discoverer) refresh(ctx context.Context, up chan<- []*discovery.Group, s *scan, w watcher, first bool) bool {
	// Watch before reading, so that no change falls between the two.
	if w != nil {
		d.watch(ctx, s, w)
	}
	var paths []string
	for _, p := range d.patterns {
		matches, err := filepath.Glob(p)
		if err != nil { // checked by Validate; kept for safety
			discovery.ReportError(ctx, fmt.Errorf("file: pattern %s: %w", p, err))
			continue
		}
		paths = append(paths, matches...)
	}
	slices.Sort(paths)
	paths = slices.Compact(paths)

	files := make(map[string][]*discovery.Group, len(paths))
	var failures []error
	for _, path := range paths {
		groups, err := readFile(path, d.maxSize, d.maxTargets)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since the glob: gone, not failed
		}
		if err != nil {
			failures = append(failures, fmt.Errorf("file: %s: %w", path, err))
			if old, ok := s.files[path]; ok {
				files[path] = old // keep the last good groups
			}
			continue
		}
		files[path] = groups
	}
	s.files = files

	current := make(map[string]*discovery.Group)
	for _, groups := range files {
		for _, g := range groups {
			if len(g.Targets) > 0 {
				current[g.Source] = g
			}
		}
	}
	changes := []*discovery.Group{}
	for src, g := range current {
		if old := s.sent[src]; old == nil || !old.Equal(g) {
			changes = append(changes, g)
		}
	}
	for src := range s.sent {
		if current[src] == nil {
			changes = append(changes, &discovery.Group{Source: src})
		}
	}
	s.sent = current
	if first || len(changes) > 0 {
		if first {
			changes = changes[:0]
			for _, g := range current {
				changes = append(changes, g)
			}
		}
		sortGroups(changes)
		select {
		case up <- changes:
		case <-ctx.Done():
			return false
		}
	}
	for _, err := range failures {
		discovery.ReportError(ctx, err)
	}
	return true
}

// sortGroups orders groups by Source.
func sortGroups(groups []*discovery.Group) {
	slices.SortFunc(groups, func(a, b *discovery.Group) int { return strings.Compare(a.Source, b.Source) })
}
