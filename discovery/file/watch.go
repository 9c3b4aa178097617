package file

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/fsnotify/fsnotify"

	"github.com/ecopatterns/ecopatterns/discovery"
)

// watcher is what the discoverer needs of fsnotify, so that tests can
// replace it.
type watcher interface {
	Add(dir string) error
	Events() <-chan fsnotify.Event
	Errors() <-chan error
	Close() error
}

// fsWatcher adapts *fsnotify.Watcher.
type fsWatcher struct{ w *fsnotify.Watcher }

func newFSWatcher() (watcher, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	return fsWatcher{w}, nil
}

func (f fsWatcher) Add(dir string) error          { return f.w.Add(dir) }
func (f fsWatcher) Events() <-chan fsnotify.Event { return f.w.Events }
func (f fsWatcher) Errors() <-chan error          { return f.w.Errors }
func (f fsWatcher) Close() error                  { return f.w.Close() }

// watch adds the directories of the patterns that are not watched yet. A
// failure is reported once until it changes: a directory that does not
// exist yet is found by the periodic reread.
func (d *discoverer) watch(ctx context.Context, s *scan, w watcher) {
	for _, p := range d.patterns {
		dir := filepath.Dir(p)
		if s.watched[dir] {
			continue
		}
		if err := w.Add(dir); err != nil {
			if msg := err.Error(); s.watchErr[dir] != msg {
				s.watchErr[dir] = msg
				discovery.ReportError(ctx, fmt.Errorf("file: cannot watch %s, rereading every %s: %w", dir, d.interval, err))
			}
			continue
		}
		s.watched[dir] = true
		delete(s.watchErr, dir)
	}
}
